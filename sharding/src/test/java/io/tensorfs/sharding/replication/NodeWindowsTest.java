package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The per-node bound on fetches: at most that many run per node, the others start in the order asked as
 * running ones end (however they end), and nodes do not wait for each other.
 */
class NodeWindowsTest {

  @Test
  void shouldRunAtMostPerNodeAndStartTheWaitingInTheOrderAsked() throws Exception {
    NodeWindows windows = new NodeWindows(2);
    List<String> started = new ArrayList<>();
    List<CompletableFuture<String>> running = new ArrayList<>();
    List<CompletionStage<String>> results = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String name = "f" + i;
      results.add(windows.admit("node-b", () -> {
        started.add(name);
        CompletableFuture<String> f = new CompletableFuture<>();
        running.add(f);
        return f;
      }));
    }
    assertEquals(List.of("f0", "f1"), started);
    assertEquals(3, windows.waiting("node-b"));

    running.get(1).complete("one"); // a later one ends first: the next waiting starts, in the order asked
    assertEquals(List.of("f0", "f1", "f2"), started);
    running.get(0).completeExceptionally(new IllegalStateException("gone")); // a failure frees its slot too
    assertEquals(List.of("f0", "f1", "f2", "f3"), started);
    assertEquals("one", results.get(1).toCompletableFuture().get());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> results.get(0).toCompletableFuture().get());
    assertEquals("gone", failed.getCause().getMessage());

    running.get(2).complete("two");
    running.get(3).complete("three");
    running.get(4).complete("four");
    assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), started);
    assertEquals("four", results.get(4).toCompletableFuture().get());
    assertEquals(0, windows.waiting("node-b"));
  }

  @Test
  void shouldNotHoldOneNodesFetchesBehindAnothersAndCountAThrowingFetchAsFailed() throws Exception {
    NodeWindows windows = new NodeWindows(1);
    CompletableFuture<String> slow = new CompletableFuture<>();
    windows.admit("node-b", () -> slow);
    CompletableFuture<String> other = windows.admit("node-c", () -> CompletableFuture.completedFuture("c"))
        .toCompletableFuture();
    assertTrue(other.isDone(), "node-c has its own window");
    assertEquals("c", other.get());

    RuntimeException boom = new RuntimeException("no such node");
    CompletableFuture<String> thrown = windows.<String>admit("node-c", () -> {
      throw boom;
    }).toCompletableFuture();
    assertSame(boom, assertThrows(ExecutionException.class, thrown::get).getCause());
    CompletableFuture<String> after = windows.admit("node-c", () -> CompletableFuture.completedFuture("after"))
        .toCompletableFuture();
    assertEquals("after", after.get(), "the throwing fetch gave its slot back");

    CompletableFuture<String> queued = windows.admit("node-b", () -> CompletableFuture.completedFuture("b"))
        .toCompletableFuture();
    assertFalse(queued.isDone(), "waits for node-b's running fetch");
    slow.complete("slow");
    assertEquals("b", queued.get());
  }
}
