package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.metrics.FetchMetrics;
import io.tensorfs.transport.Fetched;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code perNode} fetches in flight to each other node, the rest waiting in the order they were
 * asked for. Reads ask for their chunks' pages in the order the sink takes them (a stream's read-ahead
 * starts chunk n+1 after chunk n), so a node's fetches from one holder are served in that order, and a
 * holder's disk sees a bounded number of this node's reads at once however many pages its reads have in
 * flight. (Measured on one 16-core host, the bound did not change a cross-node GET's throughput within the
 * rounds' spread: README, "Several nodes".)
 *
 * <p>A fetch that ends {@code UNAVAILABLE} (the node died, hangs past the transport's timeouts, or cannot be
 * reached) ends the fetches waiting for that node at once with the same failure, so their reads go on from
 * other replicas after one timeout rather than one per window's worth of queued fetches.
 *
 * <p>Thread-safe: fetches are asked for and complete on any thread; state is guarded by this object's
 * monitor, and fetches are started and answered outside it. Starts that a completion triggers on the same
 * thread run in a loop, not nested, so a queue of fetches that each end at once does not deepen the stack.
 */
final class NodeWindows {
  private static final Logger log = LoggerFactory.getLogger(NodeWindows.class);
  /** Starts waiting to run on this thread, while a start already runs lower on its stack. */
  private static final ThreadLocal<ArrayDeque<Runnable>> TRAMPOLINE = new ThreadLocal<>();

  private final int perNode;
  private final Map<String, Window> windows = new HashMap<>();

  private static final class Window {
    int running;
    final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  }

  private record Waiting(Supplier<? extends CompletionStage<Fetched>> fetch, CompletableFuture<Fetched> result,
      long askedNanos) {}

  /** @param perNode fetches in flight to one node at most (at least 1) */
  NodeWindows(int perNode) {
    if (perNode < 1) throw new IllegalArgumentException("per-node fetches must be at least 1, not " + perNode);
    this.perNode = perNode;
  }

  /**
   * Runs {@code fetch} once fewer than {@code perNode} fetches to {@code node} are running (at once, or after
   * those asked for before it), and completes as it does; completes with the failure of a fetch to the node
   * that ended {@code UNAVAILABLE} while this one waited. A fetch that throws completes with a failed
   * {@link Fetched} of no bytes.
   */
  CompletionStage<Fetched> admit(String node, Supplier<? extends CompletionStage<Fetched>> fetch) {
    Waiting w = new Waiting(fetch, new CompletableFuture<>(), System.nanoTime());
    boolean now;
    synchronized (this) {
      Window window = windows.computeIfAbsent(node, n -> new Window());
      now = window.running < perNode;
      if (now) {
        window.running++;
      } else {
        window.waiting.addLast(w);
      }
    }
    if (now) trampoline(() -> run(node, w));
    return w.result;
  }

  /** Fetches waiting for {@code node} (not yet started). */
  synchronized int waiting(String node) {
    Window w = windows.get(node);
    return w == null ? 0 : w.waiting.size();
  }

  private void run(String node, Waiting w) {
    long started = System.nanoTime();
    FetchMetrics.FETCH_WAIT.record(started - w.askedNanos());
    CompletionStage<Fetched> running;
    try {
      running = w.fetch().get();
    } catch (RuntimeException e) {
      running = CompletableFuture.completedFuture(new Fetched(0, e instanceof TfsException t ? t
          : new TfsException(ErrorCode.UNAVAILABLE, String.valueOf(e.getMessage()), e)));
    }
    running.whenComplete((fetched, failure) -> {
      FetchMetrics.FETCH_LATENCY.recordSince(started);
      TfsException gone = failure == null && fetched.failure() != null
          && fetched.failure().code() == ErrorCode.UNAVAILABLE ? fetched.failure() : null;
      done(node, gone);
      if (failure != null) {
        w.result().completeExceptionally(failure);
      } else {
        w.result().complete(fetched);
      }
    });
  }

  /**
   * One fetch to {@code node} ended: the next waiting one starts (its slot passes on), else the slot frees.
   * With {@code gone}, every waiting fetch ends with it instead.
   */
  private void done(String node, TfsException gone) {
    Waiting next;
    List<Waiting> failed = List.of();
    synchronized (this) {
      Window window = windows.get(node);
      if (gone != null && !window.waiting.isEmpty()) {
        failed = new ArrayList<>(window.waiting);
        window.waiting.clear();
      }
      next = window.waiting.pollFirst();
      if (next == null && --window.running == 0) windows.remove(node);
    }
    for (Waiting w : failed) {
      trampoline(() -> w.result().complete(new Fetched(0, gone)));
    }
    if (next != null) {
      Waiting start = next;
      trampoline(() -> run(node, start));
    }
  }

  /** Runs {@code step} now, or after the step this thread is running already (no nesting). */
  private static void trampoline(Runnable step) {
    ArrayDeque<Runnable> queued = TRAMPOLINE.get();
    if (queued != null) {
      queued.addLast(step);
      return;
    }
    queued = new ArrayDeque<>();
    TRAMPOLINE.set(queued);
    try {
      for (Runnable s = step; s != null; s = queued.pollFirst()) {
        try {
          s.run();
        } catch (RuntimeException e) { // never from the steps above; the ones queued behind it must still run
          log.error("a remote fetch's step failed", e);
        }
      }
    } finally {
      TRAMPOLINE.remove();
    }
  }
}
