package io.tensorfs.gpu.check;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** The rows GpuCheck prints at the end: each check, its outcome, a figure and a note. Single threaded. */
final class CheckTable {
  enum Outcome { PASS, FAIL, INFO, SKIP }

  record Row(String check, Outcome outcome, String figure, String note) {}

  private final List<Row> rows = new ArrayList<>();

  void add(String check, Outcome outcome, String figure, String note) {
    Row row = new Row(check, outcome, figure, note);
    rows.add(row);
    System.out.printf("[%s] %s: %s %s%n", outcome, check, figure, note);
  }

  void pass(String check, String figure, String note) {
    add(check, Outcome.PASS, figure, note);
  }

  void fail(String check, String figure, String note) {
    add(check, Outcome.FAIL, figure, note);
  }

  void info(String check, String figure, String note) {
    add(check, Outcome.INFO, figure, note);
  }

  void skip(String check, String note) {
    add(check, Outcome.SKIP, "", note);
  }

  boolean anyFailed() {
    return rows.stream().anyMatch(r -> r.outcome() == Outcome.FAIL);
  }

  long count(Outcome outcome) {
    return rows.stream().filter(r -> r.outcome() == outcome).count();
  }

  void print(PrintStream out) {
    int w = Math.max(5, rows.stream().mapToInt(r -> r.check().length()).max().orElse(5));
    int f = Math.max(6, rows.stream().mapToInt(r -> r.figure().length()).max().orElse(6));
    String format = "%-" + w + "s  %-4s  %-" + f + "s  %s%n";
    out.println();
    out.println("=".repeat(w + f + 20));
    out.printf(format, "check", "", "figure", "note");
    out.println("-".repeat(w + f + 20));
    for (Row r : rows) out.printf(format, r.check(), r.outcome(), r.figure(), r.note());
    out.println("=".repeat(w + f + 20));
    out.printf("%d passed, %d failed, %d skipped, %d informational%n", count(Outcome.PASS), count(Outcome.FAIL),
        count(Outcome.SKIP), count(Outcome.INFO));
  }
}
