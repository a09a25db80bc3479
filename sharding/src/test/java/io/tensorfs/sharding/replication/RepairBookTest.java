package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.events.NodeEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepairBookTest {
  private final List<NodeEvent> events = new ArrayList<>();
  private final RepairBook book = new RepairBook("node-1", events::add);
  private final TfsPath path = TfsPath.parse("/t/model");
  private final ChunkId chunk = new ChunkId(FileId.random(), 0);
  private final ChunkStatus status = new ChunkStatus(chunk, List.of(
      new ChunkStatus.Replica(new ReplicaLocation("node-1", "d0"), ReplicaState.CLEAN),
      new ChunkStatus.Replica(new ReplicaLocation("node-2", "d0"), ReplicaState.MISSING)), true, 100, 7, 3);

  @Test
  void shouldListAChunkBelowItsPolicyWithItsReplicaStates() {
    book.sweepStarted();
    book.below(path, chunk, status, 1);
    var under = book.underReplicated();
    assertEquals(1, under.size());
    assertEquals(1, under.get(0).replicas());
    assertEquals(3, under.get(0).wanted());
    assertEquals(List.of("node-1/d0 CLEAN", "node-2/d0 MISSING"), under.get(0).states());
  }

  @Test
  void shouldPublishARepairStartedAndDoneAndForgetTheChunkOnceRepaired() {
    book.sweepStarted();
    book.below(path, chunk, status, 1);
    book.started(path, chunk, List.of(new ReplicaLocation("node-3", "d0")));
    assertEquals(List.of("node-3"), book.repairs().get(0).targets());
    book.ended(path, chunk, 1, null);
    assertTrue(book.repairs().isEmpty());
    assertTrue(book.underReplicated().isEmpty());
    assertEquals(List.of("repair-started", "repair-done"), events.stream().map(NodeEvent::kind).toList());
    assertTrue(events.get(1).detail().contains("1 new replicas"), events.get(1).detail());
  }

  @Test
  void shouldKeepAChunkWhoseRepairFailedAndSayWhy() {
    book.sweepStarted();
    book.below(path, chunk, status, 1);
    book.started(path, chunk, List.of(new ReplicaLocation("node-3", "d0")));
    book.ended(path, chunk, 0, new IllegalStateException("peer gone"));
    assertEquals(1, book.underReplicated().size());
    assertTrue(events.get(1).detail().contains("not repaired: peer gone"), events.get(1).detail());
  }

  @Test
  void shouldForgetAChunkThatAWholeSweepDidNotSee() {
    book.sweepStarted();
    book.below(path, chunk, status, 1);
    book.sweepEnded();
    assertEquals(1, book.underReplicated().size(), "seen by the sweep that just ended");
    book.sweepStarted();
    book.sweepEnded();
    assertTrue(book.underReplicated().isEmpty(), "deleted, or another node's to repair now");
  }
}
