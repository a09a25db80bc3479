package io.tensorfs.bench;

import java.util.ArrayList;
import java.util.List;

/** A markdown table built row by row: the first column left-aligned, the others right-aligned. Not thread-safe. */
final class MarkdownTable {
  private final List<String> head;
  private final List<List<String>> rows = new ArrayList<>();

  MarkdownTable(String... head) {
    this.head = List.of(head);
  }

  MarkdownTable row(Object... cells) {
    if (cells.length != head.size()) throw new IllegalArgumentException(cells.length + " cells for " + head.size() + " columns");
    List<String> r = new ArrayList<>();
    for (Object c : cells) r.add(String.valueOf(c));
    rows.add(r);
    return this;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    b.append("| ").append(String.join(" | ", head)).append(" |\n|");
    for (int i = 0; i < head.size(); i++) b.append(i == 0 ? " --- |" : " ---: |");
    b.append('\n');
    for (List<String> r : rows) b.append("| ").append(String.join(" | ", r)).append(" |\n");
    return b.toString();
  }

  /** {@code v} with no decimal from 100, one from 10, two from 1, three below: how the benchmark prints rates and milliseconds. */
  static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return "–";
    if (Math.abs(v) >= 100) return String.format("%.0f", v);
    if (Math.abs(v) >= 10) return String.format("%.1f", v);
    if (Math.abs(v) >= 1 || v == 0) return String.format("%.2f", v);
    return String.format("%.3f", v);
  }
}
