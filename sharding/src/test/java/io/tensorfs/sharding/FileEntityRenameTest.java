package io.tensorfs.sharding;

import static io.tensorfs.core.Precondition.NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The file entity's new commands: attributes, a directory's attributes, and both sides of a rename (the
 * source's intent, driven again after a restart, and the target's adoption), with a stand-in for the target.
 */
class FileEntityRenameTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final int CHUNK = 1024;
  private static final TfsPath FROM = TfsPath.parse("/t/a.bin");
  private static final TfsPath TO = TfsPath.parse("/t/b.bin");

  /** The target as the source sees it: answers what the test queues, or never (an unreachable target). */
  static final class Target implements Renames {
    final CopyOnWriteArrayList<FileVersion> asked = new CopyOnWriteArrayList<>();
    final CopyOnWriteArrayList<TfsPath> settled = new CopyOnWriteArrayList<>();
    volatile CompletableFuture<FileEntity.SealReply> next = new CompletableFuture<>();

    @Override
    public CompletionStage<FileEntity.SealReply> adopt(TfsPath from, TfsPath to, String renameId,
        FileVersion version, Precondition onTarget) {
      asked.add(version);
      return next;
    }

    @Override
    public CompletionStage<Void> settle(TfsPath from, TfsPath to, boolean nothingLeft) {
      settled.add(from);
      return CompletableFuture.completedFuture(null);
    }
  }

  private Target target;
  private EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> source;

  @BeforeEach
  void setUp() {
    target = new Target();
    source = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), FileEntity.create(FROM.toString(), target),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    source.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static FileVersion sealIn(EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit,
      FileAttributes attributes) {
    FileId id = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, NONE, r))
        .replyOfType(FileEntity.Begun.class).fileId();
    return assertInstanceOf(FileEntity.SealAccepted.class, kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id,
        1500, List.of(new FileVersion.ChunkInfo(CHUNK, 7), new FileVersion.ChunkInfo(476, 8)), 42, NONE, r,
        attributes)).reply()).current();
  }

  private void awaitState(java.util.function.Predicate<FileEntity.State> done, String what) {
    TEST_KIT.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(done.test(source.getState()), what);
      return null;
    });
  }

  @Test
  void shouldRecordTheWritersAttributesAndDefaultTheMtimeToTheSeal() {
    FileAttributes given = FileAttributes.defaults().withMode(0600).withContentType("text/plain")
        .withMd5Hex("0cc175b9c0f1b6a831c399e269772661").withUser(Map.of("Color", "red"));
    FileVersion v = sealIn(source, given);
    assertEquals(0600, v.attributes().mode());
    assertEquals("text/plain", v.attributes().contentType());
    assertEquals("0cc175b9c0f1b6a831c399e269772661", v.attributes().md5Hex());
    assertEquals(Map.of("color", "red"), v.attributes().user(), "names are lower-cased");
    assertEquals(v.sealedAtMillis(), v.attributes().mtimeMillis());
  }

  @Test
  void shouldChangeAttributesKeepingTheVersionNumberAndBytes() {
    FileVersion v = sealIn(source, FileAttributes.defaults());
    var result = source.<FileEntity.AttributesReply>runCommand(r -> new FileEntity.SetAttributes(
        AttributeChange.none().withMode(0640).withOwner(1000, 100).withMtime(1234L), r));
    FileVersion changed = result.replyOfType(FileEntity.AttributesChanged.class).current();
    assertEquals(v.version(), changed.version());
    assertEquals(v.fileId(), changed.fileId());
    assertEquals(new FileAttributes(0640, 1000, 100, 1234L, "", "", Map.of()), changed.attributes());
    assertEquals(changed, source.getState().current().get());
    source.restart();
    assertEquals(changed, source.getState().current().get(), "the change is journaled");
  }

  @Test
  void shouldRefuseABadModeOrTooMuchUserMetadataWhereTheChangeIsMade() {
    var bad = org.junit.jupiter.api.Assertions.assertThrows(io.tensorfs.core.TfsException.class,
        () -> AttributeChange.none().withMode(010000));
    assertEquals(ErrorCode.BAD_REQUEST, bad.code());
    var big = org.junit.jupiter.api.Assertions.assertThrows(io.tensorfs.core.TfsException.class,
        () -> AttributeChange.none().withUser(Map.of("k", "v".repeat(FileAttributes.MAX_USER_BYTES))));
    assertEquals(ErrorCode.BAD_REQUEST, big.code());
  }

  @Test
  void shouldRefuseAttributesOfNothing() {
    var result = source.<FileEntity.AttributesReply>runCommand(
        r -> new FileEntity.SetAttributes(AttributeChange.none().withMode(0600), r));
    assertEquals(ErrorCode.NOT_FOUND, result.replyOfType(Rejected.class).code());
  }

  @Test
  void shouldKeepADirectorysAttributesButNotOverAFile() {
    FileAttributes dir = FileAttributes.directoryDefaults().withMode(0700).withMtime(99);
    var set = source.<FileEntity.AttributesReply>runCommand(r -> new FileEntity.SetDirAttributes(Optional.of(dir), r));
    assertEquals(Optional.of(dir), set.replyOfType(FileEntity.DirAttributes.class).attributes());
    source.restart();
    assertEquals(Optional.of(dir), source.<FileEntity.DirAttributes>runCommand(FileEntity.GetDir::new).reply().attributes());

    var other = EventSourcedBehaviorTestKit.<FileEntity.Command, FileEntity.Event, FileEntity.State>create(TEST_KIT.system(),
        FileEntity.create(TO.toString(), target));
    other.clear();
    sealIn(other, FileAttributes.defaults());
    var refused = other.<FileEntity.AttributesReply>runCommand(r -> new FileEntity.SetDirAttributes(Optional.of(dir), r));
    assertEquals(ErrorCode.CONFLICT, refused.replyOfType(Rejected.class).code());
  }

  @Test
  void shouldDriveAnOpenRenameAgainAfterARestartAndKeepAForwardPointer() {
    FileVersion v = sealIn(source, FileAttributes.defaults().withMode(0600));
    TestProbe<FileEntity.RenameReply> caller = TEST_KIT.createTestProbe();
    source.runCommand(new FileEntity.RenameOut(TO, NONE, caller.ref()));
    FileEntity.State open = source.getState();
    assertTrue(open.moving().isPresent(), "the intent is recorded before the target is asked");
    assertTrue(open.current().isEmpty(), "the version is hidden here while it moves");
    assertEquals(1, target.asked.size());

    // The node dies before the target answered: the next run asks again.
    target.next = new CompletableFuture<>();
    source.restart();
    awaitState(s -> target.asked.size() == 2, "asked again after the restart");
    FileVersion adopted = v.movedTo(TO, 1);
    target.next.complete(new FileEntity.SealAccepted(adopted, Optional.empty()));
    awaitState(s -> s.moving().isEmpty(), "the rename closes once the target has the version");

    FileEntity.State done = source.getState();
    assertTrue(done.current().isEmpty());
    assertEquals(List.of(new FileEntity.Forward(v.fileId(), TO)), done.forwards());
    // A restarted entity does not know who leased the old version: it waits one read lease (5 s) first.
    TEST_KIT.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(List.of(FROM), target.settled, "the names are brought in line by the run that finished it");
      return null;
    });
    assertEquals(v.fileId(), target.asked.get(1).fileId());
    var uploads = source.<FileEntity.Uploads>runCommand(FileEntity.GetUploads::new).reply();
    assertEquals(done.forwards(), uploads.forwards(), "the stores' scan sees where the bytes went");
  }

  @Test
  void shouldAnswerTheCallerAndRefuseWritesWhileOpen() {
    FileVersion v = sealIn(source, FileAttributes.defaults());
    TestProbe<FileEntity.RenameReply> caller = TEST_KIT.createTestProbe();
    source.runCommand(new FileEntity.RenameOut(TO, NONE, caller.ref()));

    var delete = source.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(NONE, r));
    assertEquals(ErrorCode.CONFLICT, delete.replyOfType(Rejected.class).code(), "no delete while the bytes move");
    var begin = source.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, NONE, r));
    assertEquals(ErrorCode.CONFLICT, begin.replyOfType(Rejected.class).code(), "no write while the bytes move");

    FileVersion adopted = v.movedTo(TO, 3);
    FileVersion old = new FileVersion(TO, FileId.random(), 2, 10, CHUNK, Policy.PERSISTENT,
        List.of(new FileVersion.ChunkInfo(10, 1)), 1, 5);
    target.next.complete(new FileEntity.SealAccepted(adopted, Optional.of(old)));
    FileEntity.RenamedOut out = assertInstanceOf(FileEntity.RenamedOut.class, caller.receiveMessage());
    assertEquals(adopted, out.current());
    assertEquals(Optional.of(old), out.replaced(), "the caller collects the target's old version");
    assertTrue(out.nothingLeft());
  }

  @Test
  void shouldPutTheVersionBackWhenTheTargetRefuses() {
    FileVersion v = sealIn(source, FileAttributes.defaults());
    TestProbe<FileEntity.RenameReply> caller = TEST_KIT.createTestProbe();
    source.runCommand(new FileEntity.RenameOut(TO, Precondition.CREATE_ONLY, caller.ref()));
    target.next.complete(new Rejected(ErrorCode.PRECONDITION_FAILED, TO + " exists"));
    assertEquals(ErrorCode.PRECONDITION_FAILED, assertInstanceOf(Rejected.class, caller.receiveMessage()).code());
    awaitState(s -> s.moving().isEmpty(), "the intent is closed");
    assertEquals(Optional.of(v), source.getState().current(), "the version is visible here again");
    assertTrue(source.getState().forwards().isEmpty());
  }

  @Test
  void shouldRefuseRenamesOfNothingAndToItself() {
    assertEquals(ErrorCode.NOT_FOUND, source.<FileEntity.RenameReply>runCommand(
        r -> new FileEntity.RenameOut(TO, NONE, r)).replyOfType(Rejected.class).code());
    sealIn(source, FileAttributes.defaults());
    assertEquals(ErrorCode.BAD_REQUEST, source.<FileEntity.RenameReply>runCommand(
        r -> new FileEntity.RenameOut(FROM, NONE, r)).replyOfType(Rejected.class).code());
  }

  @Test
  void shouldAdoptAVersionOnceCheckingThePrecondition() {
    var to = EventSourcedBehaviorTestKit.<FileEntity.Command, FileEntity.Event, FileEntity.State>create(TEST_KIT.system(),
        FileEntity.create(TO.toString(), target), EventSourcedBehaviorTestKit.enabledSerializationSettings());
    to.clear();
    FileVersion old = sealIn(to, FileAttributes.defaults());
    FileVersion moving = new FileVersion(FROM, FileId.random(), 4, 1500, CHUNK, Policy.PERSISTENT,
        List.of(new FileVersion.ChunkInfo(CHUNK, 7), new FileVersion.ChunkInfo(476, 8)), 42, 5,
        FileAttributes.defaults().withMode(0600));

    var refused = to.<FileEntity.SealReply>runCommand(r -> new FileEntity.Adopt("r-1", moving, Precondition.CREATE_ONLY, r));
    assertEquals(ErrorCode.PRECONDITION_FAILED, refused.replyOfType(Rejected.class).code());

    var adopted = to.<FileEntity.SealReply>runCommand(r -> new FileEntity.Adopt("r-1", moving, NONE, r));
    FileEntity.SealAccepted accepted = adopted.replyOfType(FileEntity.SealAccepted.class);
    assertEquals(TO, accepted.current().path());
    assertEquals(moving.fileId(), accepted.current().fileId());
    assertEquals(old.version() + 1, accepted.current().version(), "the target's numbering goes on");
    assertEquals(0600, accepted.current().attributes().mode(), "attributes move with the bytes");
    assertEquals(Optional.of(old), accepted.replaced());

    to.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(NONE, r));
    var again = to.<FileEntity.SealReply>runCommand(r -> new FileEntity.Adopt("r-1", moving, NONE, r));
    assertTrue(again.events().isEmpty(), "a re-driven rename changes nothing: the deleted bytes stay unnamed");
    assertInstanceOf(FileEntity.SealAccepted.class, again.reply());
    assertTrue(to.getState().current().isEmpty());

    // The same file renamed here again later (away and back) is a new rename: adopted, not taken for a repeat.
    var back = to.<FileEntity.SealReply>runCommand(r -> new FileEntity.Adopt("r-2", moving, NONE, r));
    assertEquals(moving.fileId(), back.replyOfType(FileEntity.SealAccepted.class).current().fileId());
    assertEquals(moving.fileId(), to.getState().current().orElseThrow().fileId());
  }
}
