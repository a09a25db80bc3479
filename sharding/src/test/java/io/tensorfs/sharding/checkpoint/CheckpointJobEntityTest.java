package io.tensorfs.sharding.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CheckpointJobEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final TfsPath JOB = TfsPath.parse("/t/job");
  private static final int PART = 100;

  private EventSourcedBehaviorTestKit<CheckpointJobEntity.Command, CheckpointJobEntity.Event, CheckpointJobEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), CheckpointJobEntity.create(JOB.toString()),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private Checkpoint begin(String step, int ranks, int keepLast) {
    return kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Begin(step, ranks, Policy.PERSISTENT,
        keepLast, PART, r)).replyOfType(CheckpointJobEntity.Done.class).checkpoint();
  }

  private CheckpointJobEntity.Reply declare(String step, int rank, String key, long size) {
    return kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Declare(step, rank, key, size, r)).reply();
  }

  private CheckpointJobEntity.Reply store(Checkpoint c, int rank, String key, long offset, long length) {
    Part part = new Part(c.partsDir().child(Integer.toString(rank)).child("p" + offset), FileId.random(), 1, length, 7);
    return kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.StorePart(c.step(), c.id(), rank,
        key, offset, part, r)).reply();
  }

  private CheckpointJobEntity.Reply done(String step, int rank) {
    return kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.RankDone(step, rank, r)).reply();
  }

  private CheckpointJobEntity.Reply commit(String step) {
    return kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Commit(step, r)).reply();
  }

  private CheckpointJobEntity.Job all() {
    return (CheckpointJobEntity.Job) kit.<CheckpointJobEntity.Reply>runCommand(CheckpointJobEntity.GetAll::new).reply();
  }

  private static CheckpointJobEntity.Refused refused(CheckpointJobEntity.Reply reply, ErrorCode code) {
    assertTrue(reply instanceof CheckpointJobEntity.Refused, "expected a refusal, got " + reply);
    CheckpointJobEntity.Refused r = (CheckpointJobEntity.Refused) reply;
    assertEquals(code, r.code(), r.message());
    return r;
  }

  /** A one-rank checkpoint with one complete item of {@code size} bytes, committed. */
  private Checkpoint saved(String step, long size, int keepLast) {
    Checkpoint c = begin(step, 1, keepLast);
    declare(step, 0, "w", size);
    for (long at = 0; at < size; at += PART) store(c, 0, "w", at, Math.min(PART, size - at));
    done(step, 0);
    return ((CheckpointJobEntity.Done) commit(step)).checkpoint();
  }

  @Test
  void shouldOpenCheckpointWhenBegunAndRefuseTheSameNameAgain() {
    Checkpoint c = begin("step-1", 3, 0);

    assertEquals(TfsPath.parse("/t/job/step-1"), c.name());
    assertFalse(c.committed());
    assertEquals(TfsPath.parse("/t/job/.checkpoints/step-1-" + c.id()), c.partsDir());
    refused(kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Begin("step-1", 3,
        Policy.PERSISTENT, 0, PART, r)).reply(), ErrorCode.CONFLICT);
  }

  @Test
  void shouldAdvanceAcknowledgedOffsetOnlyWithPartsInOrder() {
    Checkpoint c = begin("s", 1, 0);
    CheckpointJobEntity.ItemNow declared = (CheckpointJobEntity.ItemNow) declare("s", 0, "model", 250);
    assertEquals(0, declared.item().acknowledged());

    store(c, 0, "model", 0, 100);
    var wrongOffset = refused(store(c, 0, "model", 0, 100), ErrorCode.PRECONDITION_FAILED);
    assertTrue(wrongOffset.message().contains("acknowledged up to offset 100"), wrongOffset.message());
    var resumed = (CheckpointJobEntity.ItemNow) declare("s", 0, "model", -1);
    assertEquals(100, resumed.item().acknowledged());
    assertEquals(250, resumed.item().sizeBytes());
    refused(store(c, 0, "model", 100, 200), ErrorCode.BAD_REQUEST); // past the declared size
    refused(declare("s", 0, "model", 300), ErrorCode.BAD_REQUEST); // the size cannot change
  }

  @Test
  void shouldRefuseCommitNamingMissingRanksAndIncompleteItems() {
    Checkpoint c = begin("s", 3, 0);
    declare("s", 0, "a", 150);
    store(c, 0, "a", 0, 100);
    done("s", 0);
    done("s", 2);

    var missing = refused(commit("s"), ErrorCode.CONFLICT);
    assertTrue(missing.message().contains("missing ranks [1]"), missing.message());
    done("s", 1);
    var incomplete = refused(commit("s"), ErrorCode.CONFLICT);
    assertTrue(incomplete.message().contains("rank 0 'a' (100 of 150 bytes)"), incomplete.message());
    assertTrue(all().checkpoints().stream().noneMatch(Checkpoint::committed));
  }

  @Test
  void shouldMakeCheckpointVisibleInOneEventWhenCommitted() {
    Checkpoint c = begin("s", 2, 0);
    declare("s", 0, "a", 100);
    declare("s", 1, "b", 0);
    store(c, 0, "a", 0, 100);
    done("s", 0);
    done("s", 1);

    var result = kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Commit("s", r));

    assertEquals(1, result.events().size());
    assertTrue(result.event() instanceof CheckpointJobEntity.Committed);
    Checkpoint committed = result.replyOfType(CheckpointJobEntity.Done.class).checkpoint();
    assertTrue(committed.committed());
    assertEquals(100, committed.sizeBytes());
    refused(declare("s", 0, "c", 10), ErrorCode.CONFLICT);
    assertTrue(((CheckpointJobEntity.Done) commit("s")).checkpoint().committed(), "a second commit replies it");
  }

  @Test
  void shouldRetireOldestCommittedInTheCommitEventWhenKeepLastIsSet() {
    saved("s1", 10, 0);
    saved("s2", 10, 0);
    Checkpoint s3 = saved("s3", 10, 2);

    List<String> visible = all().checkpoints().stream().map(Checkpoint::step).toList();
    assertEquals(List.of("s2", "s3"), visible);
    assertTrue(s3.committed());
    assertEquals(List.of("s1"), all().removing().stream().map(Checkpoint::step).toList());
    String id = all().removing().get(0).id();
    kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Forget(id, r));
    assertTrue(all().removing().isEmpty());
  }

  @Test
  void shouldKeepNewestWhenRetained() {
    saved("a", 1, 0);
    saved("b", 1, 0);
    saved("c", 1, 0);

    var job = (CheckpointJobEntity.Job) kit.<CheckpointJobEntity.Reply>runCommand(
        r -> new CheckpointJobEntity.Retain(1, r)).reply();

    assertEquals(List.of("c"), job.checkpoints().stream().map(Checkpoint::step).toList());
    assertEquals(List.of("a", "b"), job.removing().stream().map(Checkpoint::step).toList());
  }

  @Test
  void shouldAbortOnlyOpenCheckpointsAndDeleteAny() {
    saved("old", 5, 0);
    begin("new", 1, 0);

    refused(kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Abort("old", r)).reply(),
        ErrorCode.CONFLICT);
    kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Abort("new", r));
    kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Delete("old", r));
    refused(kit.<CheckpointJobEntity.Reply>runCommand(r -> new CheckpointJobEntity.Get("old", r)).reply(),
        ErrorCode.NOT_FOUND);
    assertEquals(2, all().removing().size());
    assertTrue(all().checkpoints().isEmpty());
  }

  @Test
  void shouldRefuseRanksOutsideTheCheckpoint() {
    begin("s", 2, 0);

    refused(declare("s", 2, "x", 1), ErrorCode.CONFLICT);
    refused(declare("nope", 0, "x", 1), ErrorCode.NOT_FOUND);
  }

  @Test
  void shouldRecoverStateFromEventsAfterRestart() {
    Checkpoint c = begin("s", 1, 0);
    declare("s", 0, "a", 150);
    store(c, 0, "a", 0, 100);

    kit.restart();

    var item = (CheckpointJobEntity.ItemNow) declare("s", 0, "a", -1);
    assertEquals(100, item.item().acknowledged());
  }
}
