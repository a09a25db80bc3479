package io.tensorfs.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The log of one trial: every request each client made and every fault injected, in the order they
 * were recorded. Clients append from their own threads; read it once they have stopped.
 */
public final class History {
  private final long startNanos = System.nanoTime();
  private final List<Op> ops = new ArrayList<>();

  /** Milliseconds since the trial began. */
  public long now() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  public synchronized void add(Op op) {
    ops.add(op);
  }

  /** Records a fault or a step of the trial. */
  public void event(String kind, int node, String note) {
    long t = now();
    add(new Op(t, t, null, kind, null, null, node, 0, -1, null, note));
  }

  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }

  /** The ops of one path, in the order they were recorded (one client per path: its order). */
  public synchronized List<Op> of(String path) {
    return ops.stream().filter(o -> path.equals(o.path())).toList();
  }

  public synchronized String render() {
    StringBuilder s = new StringBuilder();
    for (Op op : ops) s.append(op).append('\n');
    return s.toString();
  }

  public void writeTo(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, render());
  }

  /** The paths written, in the order first seen. */
  public synchronized List<String> paths() {
    List<String> out = new ArrayList<>();
    for (Op op : ops) if (op.path() != null && !out.contains(op.path())) out.add(op.path());
    return out;
  }
}
