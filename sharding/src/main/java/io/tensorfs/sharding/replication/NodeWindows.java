package io.tensorfs.sharding.replication;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * At most {@code perNode} fetches in flight to each other node, the rest waiting in the order they were
 * asked for. Reads ask for their chunks' pages in the order the sink takes them (a stream's read-ahead
 * starts chunk n+1 after chunk n), so a node's fetches from one holder are served in that order, and a
 * holder's disk sees a bounded number of this node's reads at once however many pages its reads have in
 * flight. (Measured on one 16-core host, the bound did not change a cross-node GET's throughput within the
 * rounds' spread: README, "Several nodes".)
 *
 * <p>Thread-safe: fetches are asked for and complete on any thread; state is guarded by this object's
 * monitor, and fetches are started outside it.
 */
final class NodeWindows {
  private final int perNode;
  private final Map<String, Window> windows = new HashMap<>();

  private static final class Window {
    int running;
    final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  }

  /** @param perNode fetches in flight to one node at most (at least 1) */
  NodeWindows(int perNode) {
    if (perNode < 1) throw new IllegalArgumentException("per-node fetches must be at least 1, not " + perNode);
    this.perNode = perNode;
  }

  /**
   * Runs {@code fetch} once fewer than {@code perNode} fetches to {@code node} are running (at once, or after
   * those asked for before it), and completes as it does. A fetch that throws counts as failed.
   */
  <T> CompletionStage<T> admit(String node, Supplier<? extends CompletionStage<T>> fetch) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable start = () -> run(node, fetch, result);
    boolean now;
    synchronized (this) {
      Window w = windows.computeIfAbsent(node, n -> new Window());
      now = w.running < perNode;
      if (now) {
        w.running++;
      } else {
        w.waiting.addLast(start);
      }
    }
    if (now) start.run();
    return result;
  }

  /** Fetches waiting for {@code node} (not yet started). */
  synchronized int waiting(String node) {
    Window w = windows.get(node);
    return w == null ? 0 : w.waiting.size();
  }

  private <T> void run(String node, Supplier<? extends CompletionStage<T>> fetch, CompletableFuture<T> result) {
    CompletionStage<T> running;
    try {
      running = fetch.get();
    } catch (RuntimeException e) {
      running = CompletableFuture.failedFuture(e);
    }
    running.whenComplete((value, failure) -> {
      done(node);
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(value);
      }
    });
  }

  /** One fetch to {@code node} ended: the next waiting one starts (its slot passes on), else the slot frees. */
  private void done(String node) {
    Runnable next;
    synchronized (this) {
      Window w = windows.get(node);
      next = w.waiting.pollFirst();
      if (next == null && --w.running == 0) windows.remove(node);
    }
    if (next != null) next.run();
  }
}
