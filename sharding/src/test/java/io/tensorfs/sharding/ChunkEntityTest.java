package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChunkEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final ReplicaLocation A0 = new ReplicaLocation("a", "d0");
  private static final ReplicaLocation A1 = new ReplicaLocation("a", "d1");
  private static final ReplicaLocation B0 = new ReplicaLocation("b", "d0");
  private static final ReplicaLocation C0 = new ReplicaLocation("c", "d0");

  private final ChunkId chunk = new ChunkId(FileId.random(), 3);
  private EventSourcedBehaviorTestKit<ChunkEntity.Command, ChunkEntity.Event, ChunkEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), ChunkEntity.create(chunk.entityId()),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private ChunkEntity.AllocateReply allocate(Policy policy, List<ReplicaLocation> candidates) {
    return kit.<ChunkEntity.AllocateReply>runCommand(r -> new ChunkEntity.Allocate(policy, candidates, r)).reply();
  }

  private ChunkEntity.CommitReply commit(long length, int crc, List<ReplicaLocation> written) {
    return kit.<ChunkEntity.CommitReply>runCommand(r -> new ChunkEntity.Commit(length, crc, written, r)).reply();
  }

  private ChunkStatus status() {
    return kit.<ChunkEntity.Status>runCommand(ChunkEntity.Get::new).reply().status().orElseThrow();
  }

  @Test
  void shouldPlaceReplicasOnDistinctNodesFirstWhenAllocated() {
    var result = kit.<ChunkEntity.AllocateReply>runCommand(
        r -> new ChunkEntity.Allocate(Policy.PERSISTENT, List.of(A0, A1, B0, C0), r));

    assertEquals(new ChunkEntity.Placed(List.of(A0, B0, C0)), result.reply());
    assertEquals(new ChunkEntity.ReplicasPlaced(Policy.PERSISTENT, List.of(A0, B0, C0)), result.event());
    ChunkStatus s = status();
    assertEquals(chunk, s.chunk());
    assertEquals(3, s.wantedReplicas());
    assertFalse(s.committed());
    assertTrue(s.replicas().stream().allMatch(r -> r.state() == ReplicaState.WRITING));
  }

  @Test
  void shouldUseMoreStoresOfOneNodeWhenNodesAreFewerThanReplicas() {
    var placed = (ChunkEntity.Placed) allocate(Policy.PERSISTENT, List.of(A0, A0, A1, B0));
    assertEquals(List.of(A0, B0, A1), placed.replicas());
  }

  @Test
  void shouldPlaceOneReplicaWhenPolicyIsKvcache() {
    var placed = (ChunkEntity.Placed) allocate(Policy.KVCACHE, List.of(B0, A0));
    assertEquals(List.of(B0), placed.replicas());
    assertEquals(1, status().wantedReplicas());
  }

  @Test
  void shouldReturnSamePlacementWhenAllocatedAgain() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));

    var again = kit.<ChunkEntity.AllocateReply>runCommand(
        r -> new ChunkEntity.Allocate(Policy.PERSISTENT, List.of(C0, A1), r));

    assertEquals(new ChunkEntity.Placed(List.of(A0, B0, C0)), again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldRejectAllocationWhenThereIsNoCandidate() {
    var result = kit.<ChunkEntity.AllocateReply>runCommand(r -> new ChunkEntity.Allocate(Policy.PERSISTENT, List.of(), r));
    assertEquals(ErrorCode.NO_SPACE, result.replyOfType(Rejected.class).code());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void shouldMarkWrittenCleanAndOthersStaleWhenCommitted() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));

    var committed = (ChunkEntity.Committed) commit(4096, 99, List.of(A0, C0));

    ChunkStatus s = committed.status();
    assertTrue(s.committed());
    assertEquals(4096, s.lengthBytes());
    assertEquals(99, s.crc32c());
    assertEquals(List.of(A0, C0), s.clean());
    assertEquals(ReplicaState.STALE, s.replicas().get(1).state());
    assertTrue(s.underReplicated());
    assertEquals(s, status());
  }

  @Test
  void shouldAcceptSameCommitAgainAndRejectDifferentBytes() {
    allocate(Policy.KVCACHE, List.of(A0));
    commit(10, 1, List.of(A0));

    var same = kit.<ChunkEntity.CommitReply>runCommand(r -> new ChunkEntity.Commit(10, 1, List.of(A0), r));
    assertTrue(same.reply() instanceof ChunkEntity.Committed);
    assertTrue(same.hasNoEvents());

    var other = (Rejected) commit(10, 2, List.of(A0));
    assertEquals(ErrorCode.CONFLICT, other.code());
  }

  @Test
  void shouldRejectCommitWhenNotPlacedOrWrittenElsewhere() {
    assertEquals(ErrorCode.NOT_FOUND, ((Rejected) commit(10, 1, List.of(A0))).code());

    allocate(Policy.KVCACHE, List.of(A0));
    assertEquals(ErrorCode.BAD_REQUEST, ((Rejected) commit(10, 1, List.of(B0))).code());
    assertEquals(ErrorCode.BAD_REQUEST, ((Rejected) commit(10, 1, List.of())).code());
    assertFalse(status().committed());
  }

  @Test
  void shouldMarkReplicaMissingOnce() {
    allocate(Policy.PERSISTENT, List.of(A0, B0));
    commit(10, 1, List.of(A0, B0));

    var first = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(A0, r));
    assertEquals(ReplicaState.MISSING, first.reply().status().orElseThrow().replicas().get(0).state());
    assertEquals(List.of(B0), first.reply().status().orElseThrow().clean());

    var again = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(A0, r));
    assertTrue(again.hasNoEvents());
    var unknown = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(C0, r));
    assertTrue(unknown.hasNoEvents());
  }

  @Test
  void shouldMarkCleanReplicaCorruptOnceAndCleanAgainWhenReCreated() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));
    commit(10, 1, List.of(A0, B0));

    var marked = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkCorrupt(B0, r));
    assertEquals(List.of(new ChunkEntity.ReplicaCorrupt(B0)), marked.events());
    ChunkStatus s = marked.reply().status().orElseThrow();
    assertEquals(ReplicaState.CORRUPT, s.replicas().get(1).state());
    assertEquals(List.of(A0), s.clean(), "a corrupt replica is not clean");
    assertEquals(List.of(B0), s.corrupt());
    assertTrue(s.underReplicated());

    assertTrue(kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkCorrupt(B0, r)).hasNoEvents(),
        "already corrupt");
    assertTrue(kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkCorrupt(C0, r)).hasNoEvents(),
        "a stale replica is not read, so it is not marked");
    assertEquals(s, status(), "the mark survives a restart of the entity (replayed from its event)");
    kit.restart();
    assertEquals(s, status());

    ChunkStatus recreated = addReplica(B0, 10, 1).status().orElseThrow();
    assertEquals(List.of(A0, B0), recreated.clean());
    assertEquals(List.of(), recreated.corrupt());
  }

  private ChunkEntity.Status addReplica(ReplicaLocation at, long length, int crc) {
    var result = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(at, length, crc, r));
    return result.reply();
  }

  @Test
  void shouldAddCleanReplicaOnNewStoreWhenCopiedAfterLoss() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));
    commit(10, 1, List.of(A0, B0, C0));
    kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(B0, r));

    var added = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(A1, 10, 1, r));

    assertEquals(List.of(new ChunkEntity.ReplicaAdded(A1)), added.events());
    ChunkStatus s = added.reply().status().orElseThrow();
    assertEquals(Set.of(A0, C0, A1), Set.copyOf(s.clean()));
    assertEquals(ReplicaState.MISSING, s.replicas().get(1).state(), "the lost replica stays listed as MISSING");
    assertEquals(4, s.replicas().size());
    assertEquals(s, status());
  }

  @Test
  void shouldMakeMissingOrStaleReplicaCleanWhenCopiedAgain() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));
    commit(10, 1, List.of(A0, B0));
    kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(B0, r));

    addReplica(B0, 10, 1);
    ChunkStatus s = addReplica(C0, 10, 1).status().orElseThrow();

    assertEquals(List.of(A0, B0, C0), s.clean());
    assertEquals(3, s.replicas().size(), "no location listed twice");
    assertFalse(s.underReplicated());
  }

  @Test
  void shouldRemoveADrainedReplicaOnlyWhileEnoughCleanReplicasRemainElsewhere() {
    allocate(Policy.parse("persistent(2,1)"), List.of(A0, C0));
    commit(10, 1, List.of(A0, C0));

    var refused = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.RemoveReplica(C0, 2, r));
    assertTrue(refused.hasNoEvents(), "one CLEAN replica would be left where two are wanted");
    assertEquals(Set.of(A0, C0), Set.copyOf(refused.reply().status().orElseThrow().clean()));

    addReplica(B0, 10, 1);
    var removed = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.RemoveReplica(C0, 2, r));

    assertEquals(List.of(new ChunkEntity.ReplicaRemoved(C0)), removed.events());
    ChunkStatus s = removed.reply().status().orElseThrow();
    assertEquals(Set.of(A0, B0), Set.copyOf(s.clean()));
    assertEquals(2, s.replicas().size(), "the drained replica is no longer listed at all");
    assertEquals(s, status());
    assertTrue(kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.RemoveReplica(C0, 2, r)).hasNoEvents(),
        "removing it again changes nothing");
  }

  @Test
  void shouldNotRemoveAReplicaOfAChunkNotCommitted() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));

    assertTrue(kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.RemoveReplica(C0, 1, r)).hasNoEvents());
    assertEquals(3, status().replicas().size());
  }

  @Test
  void shouldIgnoreCopyWhenBytesDifferOrChunkIsNotCommitted() {
    allocate(Policy.PERSISTENT, List.of(A0, B0));
    var early = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(C0, 10, 1, r));
    assertTrue(early.hasNoEvents(), "not committed yet: a copy of what?");
    assertEquals(Set.of(), Set.copyOf(early.reply().status().orElseThrow().clean()));

    commit(10, 1, List.of(A0));
    var otherCrc = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(C0, 10, 2, r));
    var otherLength = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(C0, 11, 1, r));
    var alreadyClean = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(A0, 10, 1, r));

    assertTrue(otherCrc.hasNoEvents());
    assertTrue(otherLength.hasNoEvents());
    assertTrue(alreadyClean.hasNoEvents());
    assertEquals(List.of(A0), status().clean());
  }

  @Test
  void shouldIgnoreCopyWhenChunkWasDeleted() {
    allocate(Policy.PERSISTENT, List.of(A0));
    commit(10, 1, List.of(A0));
    kit.<ChunkEntity.Deleted>runCommand(ChunkEntity.Delete::new);

    var late = kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.AddReplica(B0, 10, 1, r));

    assertTrue(late.hasNoEvents());
    assertTrue(late.reply().status().isEmpty());
  }

  @Test
  void shouldKeepAddedReplicaWhenRestarted() {
    allocate(Policy.PERSISTENT, List.of(A0, B0));
    commit(10, 1, List.of(A0, B0));
    kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(A0, r));
    addReplica(C0, 10, 1);
    ChunkEntity.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(Set.of(B0, C0), Set.copyOf(status().clean()));
  }

  @Test
  void shouldLookAbsentWhenDeleted() {
    allocate(Policy.KVCACHE, List.of(A0));

    var deleted = kit.<ChunkEntity.Deleted>runCommand(ChunkEntity.Delete::new);

    assertTrue(deleted.reply().existed());
    assertTrue(kit.<ChunkEntity.Status>runCommand(ChunkEntity.Get::new).reply().status().isEmpty());
    assertFalse(kit.<ChunkEntity.Deleted>runCommand(ChunkEntity.Delete::new).reply().existed());
    assertEquals(ErrorCode.NOT_FOUND, ((Rejected) allocate(Policy.KVCACHE, List.of(A0))).code());
  }

  @Test
  void shouldLookAbsentWhenNeverPlaced() {
    assertTrue(kit.<ChunkEntity.Status>runCommand(ChunkEntity.Get::new).reply().status().isEmpty());
    assertFalse(kit.<ChunkEntity.Deleted>runCommand(ChunkEntity.Delete::new).reply().existed());
  }

  @Test
  void shouldRecoverStateWhenRestarted() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));
    commit(10, 1, List.of(A0, B0));
    kit.<ChunkEntity.Status>runCommand(r -> new ChunkEntity.MarkMissing(B0, r));
    ChunkEntity.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(Set.of(A0), Set.copyOf(status().clean()));
  }

  // ---- CommitNew: a chunk placed by its writer, recorded placed and committed in one write

  private ChunkEntity.CommitReply commitNew(List<ReplicaLocation> placed, long length, int crc,
      List<ReplicaLocation> written) {
    return kit.<ChunkEntity.CommitReply>runCommand(
        r -> new ChunkEntity.CommitNew(Policy.PERSISTENT, placed, length, crc, written, r)).reply();
  }

  @Test
  void shouldLeaveTheStateOfAllocateAndCommitWhenCommittedNew() {
    allocate(Policy.PERSISTENT, List.of(A0, B0, C0));
    ChunkStatus twoSteps = ((ChunkEntity.Committed) commit(4096, 99, List.of(A0, C0))).status();
    kit.clear();
    kit.restart(); // a fresh entity with an empty journal

    var result = kit.<ChunkEntity.CommitReply>runCommand(
        r -> new ChunkEntity.CommitNew(Policy.PERSISTENT, List.of(A0, B0, C0), 4096, 99, List.of(A0, C0), r));

    assertEquals(2, result.events().size(), "placed and committed, written together");
    ChunkStatus oneStep = ((ChunkEntity.Committed) result.reply()).status();
    assertEquals(twoSteps, oneStep);
    assertEquals(ReplicaState.STALE, oneStep.replicas().get(1).state());
    kit.restart();
    assertEquals(oneStep, status());
  }

  @Test
  void shouldAcceptRetriedCommitNewAndRefuseAnotherPlacement() {
    commitNew(List.of(A0, B0), 10, 1, List.of(A0, B0));

    var again = kit.<ChunkEntity.CommitReply>runCommand(
        r -> new ChunkEntity.CommitNew(Policy.PERSISTENT, List.of(A0, B0), 10, 1, List.of(A0, B0), r));
    var elsewhere = commitNew(List.of(C0), 10, 1, List.of(C0));
    var otherBytes = commitNew(List.of(A0, B0), 10, 2, List.of(A0, B0));

    assertInstanceOf(ChunkEntity.Committed.class, again.reply());
    assertTrue(again.hasNoEvents());
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, elsewhere).code());
    assertEquals(ErrorCode.CONFLICT, assertInstanceOf(Rejected.class, otherBytes).code());
  }

  @Test
  void shouldRefuseCommitNewWrittenOutsideItsPlacementOrAfterDelete() {
    var outside = commitNew(List.of(A0), 10, 1, List.of(B0));
    var none = commitNew(List.of(A0), 10, 1, List.of());
    commitNew(List.of(A0), 10, 1, List.of(A0));
    kit.<ChunkEntity.Deleted>runCommand(ChunkEntity.Delete::new);
    var deleted = commitNew(List.of(A0), 10, 1, List.of(A0));

    assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(Rejected.class, outside).code());
    assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(Rejected.class, none).code());
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(Rejected.class, deleted).code());
  }
}
