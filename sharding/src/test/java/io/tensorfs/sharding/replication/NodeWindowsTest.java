package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.metrics.Readings;
import io.tensorfs.transport.Fetched;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-node bound on fetches: at most that many run per node, the others start in the order asked as
 * running ones end (however they end), nodes do not wait for each other, a node found gone ends the
 * fetches waiting for it at once, and a long queue of fetches that end at once does not deepen the stack.
 */
class NodeWindowsTest {
  private static Fetched ok(int bytes) {
    return new Fetched(bytes, null);
  }

  @Test
  void shouldRunAtMostPerNodeAndStartTheWaitingInTheOrderAsked() throws Exception {
    NodeWindows windows = new NodeWindows(2);
    List<String> started = new ArrayList<>();
    List<CompletableFuture<Fetched>> running = new ArrayList<>();
    List<CompletionStage<Fetched>> results = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String name = "f" + i;
      results.add(windows.admit("node-b", () -> {
        started.add(name);
        CompletableFuture<Fetched> f = new CompletableFuture<>();
        running.add(f);
        return f;
      }));
    }
    assertEquals(List.of("f0", "f1"), started);
    assertEquals(3, windows.waiting("node-b"));

    running.get(1).complete(ok(1)); // a later one ends first: the next waiting starts, in the order asked
    assertEquals(List.of("f0", "f1", "f2"), started);
    running.get(0).completeExceptionally(new IllegalStateException("bug")); // an exceptional end frees its slot too
    assertEquals(List.of("f0", "f1", "f2", "f3"), started);
    assertEquals(1, results.get(1).toCompletableFuture().get().bytes());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> results.get(0).toCompletableFuture().get());
    assertEquals("bug", failed.getCause().getMessage());
    // A failure other than UNAVAILABLE (a bad block on that replica) leaves the node's queue alone.
    running.get(2).complete(new Fetched(7, new TfsException(ErrorCode.CHECKSUM_MISMATCH, "bad block")));
    assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), started);

    running.get(3).complete(ok(3));
    running.get(4).complete(ok(4));
    assertEquals(4, results.get(4).toCompletableFuture().get().bytes());
    assertEquals(0, windows.waiting("node-b"));
  }

  /** A fetch's wait for its place and its own time go to the reader's metrics, each once it is known. */
  @Test
  void shouldTimeAFetchsWaitForItsPlaceAndTheFetchItself() throws Exception {
    NodeWindows windows = new NodeWindows(1);
    long waits = Readings.histogramCount("tensorfs.replication.fetch-wait");
    long waitNanos = Readings.histogramSum("tensorfs.replication.fetch-wait");
    long fetches = Readings.histogramCount("tensorfs.replication.fetch-latency");
    long fetchNanos = Readings.histogramSum("tensorfs.replication.fetch-latency");
    CompletableFuture<Fetched> first = new CompletableFuture<>();
    CompletableFuture<Fetched> second = new CompletableFuture<>();
    windows.admit("node-b", () -> first);
    windows.admit("node-b", () -> second);
    assertEquals(waits + 1, Readings.histogramCount("tensorfs.replication.fetch-wait"), "the first started at once, the second waits");

    TimeUnit.MILLISECONDS.sleep(30); // the first fetch runs, the second waits for its place
    first.complete(ok(1));
    assertEquals(waits + 2, Readings.histogramCount("tensorfs.replication.fetch-wait"));
    assertTrue(Readings.histogramSum("tensorfs.replication.fetch-wait") - waitNanos >= 30_000_000L,
        "the second waited while the first ran");
    assertEquals(fetches + 1, Readings.histogramCount("tensorfs.replication.fetch-latency"), "the second is not timed before it ends");
    TimeUnit.MILLISECONDS.sleep(20);
    second.complete(ok(1));
    assertEquals(fetches + 2, Readings.histogramCount("tensorfs.replication.fetch-latency"));
    assertTrue(Readings.histogramSum("tensorfs.replication.fetch-latency") - fetchNanos >= 50_000_000L,
        "the first ran for 30 ms, the second for 20");
  }

  @Test
  void shouldNotHoldOneNodesFetchesBehindAnothersAndCountAThrowingFetchAsFailed() throws Exception {
    NodeWindows windows = new NodeWindows(1);
    CompletableFuture<Fetched> slow = new CompletableFuture<>();
    windows.admit("node-b", () -> slow);
    CompletableFuture<Fetched> other = windows.admit("node-c", () -> CompletableFuture.completedFuture(ok(3)))
        .toCompletableFuture();
    assertTrue(other.isDone(), "node-c has its own window");
    assertEquals(3, other.get().bytes());

    TfsException boom = new TfsException(ErrorCode.UNAVAILABLE, "no such node");
    CompletableFuture<Fetched> thrown = windows.admit("node-c", () -> {
      throw boom;
    }).toCompletableFuture();
    assertSame(boom, thrown.get().failure());
    CompletableFuture<Fetched> after = windows.admit("node-c", () -> CompletableFuture.completedFuture(ok(5)))
        .toCompletableFuture();
    assertEquals(5, after.get().bytes(), "the throwing fetch gave its slot back");

    CompletableFuture<Fetched> queued = windows.admit("node-b", () -> CompletableFuture.completedFuture(ok(2)))
        .toCompletableFuture();
    assertFalse(queued.isDone(), "waits for node-b's running fetch");
    slow.complete(ok(1));
    assertEquals(2, queued.get().bytes());
  }

  @Test
  void shouldEndEveryFetchWaitingForANodeAtOnceWhenOneFindsItGone() throws Exception {
    NodeWindows windows = new NodeWindows(2);
    List<CompletableFuture<Fetched>> running = new ArrayList<>();
    List<CompletableFuture<Fetched>> results = new ArrayList<>();
    List<Integer> started = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int n = i;
      results.add(windows.admit("node-b", () -> {
        started.add(n);
        CompletableFuture<Fetched> f = new CompletableFuture<>();
        running.add(f);
        return f;
      }).toCompletableFuture());
    }
    TfsException gone = new TfsException(ErrorCode.UNAVAILABLE, "node-b timed out");
    running.get(0).complete(new Fetched(4096, gone));

    assertEquals(List.of(0, 1), started, "the waiting fetches are not started against the node");
    for (int i = 2; i < 6; i++) {
      assertTrue(results.get(i).isDone(), "fetch " + i + " ends at once");
      assertEquals(0, results.get(i).get().bytes());
      assertSame(gone, results.get(i).get().failure(), "with the failure that found the node gone");
    }
    assertEquals(4096, results.get(0).get().bytes());
    assertFalse(results.get(1).isDone(), "the one running still runs");
    assertEquals(0, windows.waiting("node-b"));
    running.get(1).complete(ok(1));

    // Later fetches try the node again.
    CompletableFuture<Fetched> later = windows.admit("node-b", () -> CompletableFuture.completedFuture(ok(9)))
        .toCompletableFuture();
    assertEquals(9, later.get().bytes());
    assertNull(later.get().failure());
  }

  @Test
  void shouldRunALongQueueOfFetchesThatEndAtOnceWithoutDeepeningTheStack() throws Exception {
    NodeWindows windows = new NodeWindows(1);
    CompletableFuture<Fetched> first = new CompletableFuture<>();
    windows.admit("node-b", () -> first);
    int queued = 50_000;
    int[] maxDepth = {0};
    List<CompletableFuture<Fetched>> results = new ArrayList<>();
    for (int i = 0; i < queued; i++) {
      results.add(windows.admit("node-b", () -> {
        maxDepth[0] = Math.max(maxDepth[0], Thread.currentThread().getStackTrace().length);
        return CompletableFuture.completedFuture(ok(1)); // ends as it starts (e.g. the transport refused at once)
      }).toCompletableFuture());
    }
    int base = Thread.currentThread().getStackTrace().length;
    first.complete(ok(1));

    for (CompletableFuture<Fetched> r : results) assertEquals(1, r.get(10, TimeUnit.SECONDS).bytes());
    assertTrue(maxDepth[0] < base + 60, "started in a loop, not nested: depth " + maxDepth[0] + " from " + base);
  }
}
