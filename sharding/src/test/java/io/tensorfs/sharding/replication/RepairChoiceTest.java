package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.sharding.ChunkStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class RepairChoiceTest {
  private static final ReplicaLocation A = new ReplicaLocation("a", "d0");
  private static final ReplicaLocation B = new ReplicaLocation("b", "d0");
  private static final ReplicaLocation C = new ReplicaLocation("c", "d0");
  private static final Predicate<String> ALL_LIVE = n -> true;
  private static final Predicate<String> NONE_DRAINED = n -> false;

  private static ChunkStatus status(int wanted, boolean committed, Object... locationAndState) {
    List<ChunkStatus.Replica> replicas = new ArrayList<>();
    for (int i = 0; i < locationAndState.length; i += 2) {
      replicas.add(new ChunkStatus.Replica((ReplicaLocation) locationAndState[i], (ReplicaState) locationAndState[i + 1]));
    }
    return new ChunkStatus(new ChunkId(FileId.random(), 0), replicas, committed, 10, 1, wanted);
  }

  @Test
  void shouldNotCountADrainedNodesReplicaAndLetItActWhenItHoldsTheChunk() {
    ChunkStatus s = status(2, true, A, ReplicaState.CLEAN, C, ReplicaState.CLEAN);
    Predicate<String> cDrained = "c"::equals;

    RepairChoice atC = RepairChoice.of(s, C, ALL_LIVE, cDrained);
    RepairChoice atA = RepairChoice.of(s, A, ALL_LIVE, cDrained);

    assertTrue(atC.acts(), "the drained holder copies its own replica away");
    assertFalse(atA.acts(), "one node acts per chunk");
    assertEquals(1, atC.missing());
    assertEquals(1, atC.counting());
    assertEquals(Set.of("a", "c"), atC.holders());
  }

  @Test
  void shouldLackNothingWhenNoHolderIsDrained() {
    ChunkStatus s = status(2, true, A, ReplicaState.CLEAN, C, ReplicaState.CLEAN);

    RepairChoice atA = RepairChoice.of(s, A, ALL_LIVE, NONE_DRAINED);

    assertTrue(atA.acts());
    assertEquals(0, atA.missing());
  }

  @Test
  void shouldReleaseADrainedReplicaOnlyOnceThePolicysCountStandsOnOtherNodes() {
    Predicate<String> cDrained = "c"::equals;
    ChunkStatus before = status(2, true, A, ReplicaState.CLEAN, C, ReplicaState.CLEAN);
    ChunkStatus copied = status(2, true, A, ReplicaState.CLEAN, C, ReplicaState.CLEAN, B, ReplicaState.CLEAN);
    ChunkStatus copyOnADrainedNode = status(2, true, A, ReplicaState.CLEAN, C, ReplicaState.CLEAN, B, ReplicaState.CLEAN);

    assertFalse(RepairChoice.mayRelease(before, C, ALL_LIVE, cDrained));
    assertTrue(RepairChoice.mayRelease(copied, C, ALL_LIVE, cDrained));
    assertFalse(RepairChoice.mayRelease(copyOnADrainedNode, C, ALL_LIVE, n -> n.equals("c") || n.equals("b")),
        "a copy on another drained node does not count");
    assertFalse(RepairChoice.mayRelease(copied, C, n -> !n.equals("b"), cDrained), "a copy on a node gone does not count");
  }

  @Test
  void shouldNotReleaseAReplicaOfAChunkNotCommitted() {
    ChunkStatus writing = status(1, false, A, ReplicaState.WRITING, C, ReplicaState.WRITING);

    assertFalse(RepairChoice.mayRelease(writing, C, ALL_LIVE, "c"::equals));
    assertFalse(RepairChoice.of(writing, C, ALL_LIVE, "c"::equals).acts());
  }

  @Test
  void shouldCountReplicasRecordedHereButNotStaleOrMissingOnes() {
    assertTrue(RepairChoice.recorded(status(2, true, C, ReplicaState.CORRUPT), C));
    assertTrue(RepairChoice.recorded(status(2, false, C, ReplicaState.WRITING), C));
    assertFalse(RepairChoice.recorded(status(2, true, C, ReplicaState.STALE), C));
    assertFalse(RepairChoice.recorded(status(2, true, C, ReplicaState.MISSING), C));
    assertFalse(RepairChoice.recorded(status(2, true, A, ReplicaState.CLEAN), C));
  }

  @Test
  void shouldSayWhyADrainIsStuck() {
    assertEquals("3 chunks need 3 nodes other than this one, 2 remain", new SweepResult(0, 3, 3, 3, 2, true).stuckReason());
    assertEquals("1 chunk needs 2 nodes other than this one, 1 remains", new SweepResult(0, 1, 1, 2, 1, true).stuckReason());
    assertEquals("", new SweepResult(0, 0, 0, 0, 2, true).stuckReason());
  }
}
