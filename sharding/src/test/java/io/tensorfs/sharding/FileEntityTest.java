package io.tensorfs.sharding;

import static io.tensorfs.core.Precondition.CREATE_ONLY;
import static io.tensorfs.core.Precondition.NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FileEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final int CHUNK = 1024;
  private static final TfsPath PATH = TfsPath.parse("/t/models/w.bin");

  private EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), FileEntity.create(PATH.toString()),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private FileId begin(Precondition precondition) {
    var result = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, precondition, r));
    return result.replyOfType(FileEntity.Begun.class).fileId();
  }

  private FileEntity.SealReply seal(FileId id, long size, Precondition precondition) {
    List<FileVersion.ChunkInfo> chunks = size == 0 ? List.of()
        : size <= CHUNK ? List.of(new FileVersion.ChunkInfo(size, 7))
        : List.of(new FileVersion.ChunkInfo(CHUNK, 7), new FileVersion.ChunkInfo(size - CHUNK, 8));
    return kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, size, chunks, 42, precondition, r)).reply();
  }

  private Optional<FileVersion> get() {
    return kit.<FileEntity.Current>runCommand(FileEntity.Get::new).reply().version();
  }

  @Test
  void shouldRecordPendingUploadWhenBegun() {
    var result = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.KVCACHE, CHUNK, NONE, r));

    FileId id = result.replyOfType(FileEntity.Begun.class).fileId();
    FileEntity.UploadBegun event = result.eventOfType(FileEntity.UploadBegun.class);
    assertEquals(id, event.upload().fileId());
    assertEquals(Policy.KVCACHE, event.upload().policy());
    assertEquals(1, result.state().uploads().size());
    assertTrue(get().isEmpty(), "an upload is not visible before its seal");
  }

  @Test
  void shouldMakeVersionVisibleWhenSealed() {
    FileId id = begin(NONE);

    var sealed = assertInstanceOf(FileEntity.SealAccepted.class, seal(id, 1500, NONE));

    FileVersion v = sealed.current();
    assertEquals(PATH, v.path());
    assertEquals(id, v.fileId());
    assertEquals(1, v.version());
    assertEquals(1500, v.size());
    assertEquals(CHUNK, v.chunkSizeBytes());
    assertEquals(Policy.PERSISTENT, v.policy());
    assertEquals(2, v.chunks().size());
    assertEquals(42, v.crc32c());
    assertTrue(sealed.replaced().isEmpty());
    assertEquals(Optional.of(v), get());
    assertTrue(kit.getState().uploads().isEmpty());
  }

  @Test
  void shouldReturnReplacedVersionWhenOverwritten() {
    FileVersion first = ((FileEntity.SealAccepted) seal(begin(NONE), 10, NONE)).current();

    var second = assertInstanceOf(FileEntity.SealAccepted.class, seal(begin(NONE), 20, NONE));

    assertEquals(2, second.current().version());
    assertEquals(Optional.of(first), second.replaced());
    assertEquals(20, get().orElseThrow().size());
  }

  @Test
  void shouldRejectCreateOnlyWhenVersionExists() {
    seal(begin(CREATE_ONLY), 10, CREATE_ONLY);

    var begin = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, CREATE_ONLY, r));
    assertEquals(ErrorCode.PRECONDITION_FAILED, begin.replyOfType(Rejected.class).code());
    assertTrue(begin.hasNoEvents());
  }

  @Test
  void shouldRejectCreateOnlySealWhenAnotherUploadSealedFirst() {
    FileId slow = begin(CREATE_ONLY);
    FileId fast = begin(CREATE_ONLY);
    seal(fast, 10, CREATE_ONLY);

    var rejected = assertInstanceOf(Rejected.class, seal(slow, 10, CREATE_ONLY));

    assertEquals(ErrorCode.PRECONDITION_FAILED, rejected.code());
    assertEquals(fast, get().orElseThrow().fileId());
  }

  private static Precondition ifMatch(String... tags) {
    return new Precondition(List.of(tags), List.of());
  }

  @Test
  void shouldRejectBeginWithoutEventsWhenIfMatchNamesAnotherVersion() {
    seal(begin(NONE), 10, NONE);

    var begin = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, ifMatch("7"), r));

    Rejected rejected = begin.replyOfType(Rejected.class);
    assertEquals(ErrorCode.PRECONDITION_FAILED, rejected.code());
    assertTrue(rejected.message().contains("is at version 1"), rejected.message());
    assertTrue(begin.hasNoEvents());
    assertTrue(kit.getState().uploads().isEmpty());
  }

  @Test
  void shouldRejectBeginWhenIfMatchFindsNoVersion() {
    var begin = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, ifMatch("*"), r));

    assertEquals(ErrorCode.PRECONDITION_FAILED, begin.replyOfType(Rejected.class).code());
    assertTrue(begin.hasNoEvents());
  }

  @Test
  void shouldSealOnlyTheFirstWhenTwoUploadsShareAnIfMatch() {
    seal(begin(NONE), 10, NONE);
    FileId first = begin(ifMatch("1"));
    FileId second = begin(ifMatch("1"));

    var won = assertInstanceOf(FileEntity.SealAccepted.class, seal(first, 20, ifMatch("1")));
    var lost = kit.<FileEntity.SealReply>runCommand(
        r -> new FileEntity.Seal(second, 30, List.of(new FileVersion.ChunkInfo(30, 7)), 42, ifMatch("1"), r));

    assertEquals(2, won.current().version());
    Rejected rejected = lost.replyOfType(Rejected.class);
    assertEquals(ErrorCode.PRECONDITION_FAILED, rejected.code());
    assertTrue(rejected.message().contains("is at version 2"), rejected.message());
    assertTrue(lost.hasNoEvents());
    assertEquals(first, get().orElseThrow().fileId());
  }

  @Test
  void shouldRejectSealWhenIfNoneMatchNamesTheVersionSealedMeanwhile() {
    seal(begin(NONE), 10, NONE);
    var notTwo = new Precondition(List.of(), List.of("2"));
    FileId late = begin(notTwo);
    seal(begin(NONE), 10, NONE);

    assertEquals(ErrorCode.PRECONDITION_FAILED, assertInstanceOf(Rejected.class, seal(late, 10, notTwo)).code());
    assertEquals(2, get().orElseThrow().version());
  }

  @Test
  void shouldDeleteOnlyWhenIfMatchNamesTheCurrentVersion() {
    FileVersion v = ((FileEntity.SealAccepted) seal(begin(NONE), 10, NONE)).current();

    var refused = kit.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(ifMatch("7"), r));
    assertEquals(ErrorCode.PRECONDITION_FAILED, refused.replyOfType(Rejected.class).code());
    assertTrue(refused.hasNoEvents());
    assertEquals(Optional.of(v), get());

    var notIt = kit.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(new Precondition(List.of(), List.of("1")), r));
    assertEquals(ErrorCode.PRECONDITION_FAILED, notIt.replyOfType(Rejected.class).code());

    var deleted = kit.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(ifMatch("1"), r));
    assertEquals(Optional.of(v), deleted.replyOfType(FileEntity.Deleted.class).version());
    assertTrue(get().isEmpty());
  }

  @Test
  void shouldAnswerNothingDeletedWhenTheFileIsAbsentWhateverThePrecondition() {
    var deleted = kit.<FileEntity.DeleteReply>runCommand(r -> new FileEntity.Delete(ifMatch("1"), r));

    assertTrue(deleted.replyOfType(FileEntity.Deleted.class).version().isEmpty());
  }

  @Test
  void shouldRejectSealWhenUploadIsNotPending() {
    var rejected = assertInstanceOf(Rejected.class, seal(FileId.random(), 10, NONE));
    assertEquals(ErrorCode.NOT_FOUND, rejected.code());

    FileId aborted = begin(NONE);
    kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(aborted, r));
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(Rejected.class, seal(aborted, 10, NONE)).code());
  }

  @Test
  void shouldRejectSealWhenChunkLengthsDoNotAddUp() {
    FileId id = begin(NONE);
    List<FileVersion.ChunkInfo> tooShort = List.of(new FileVersion.ChunkInfo(100, 1), new FileVersion.ChunkInfo(10, 2));

    var result = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, 110, tooShort, 0, NONE, r));
    assertEquals(ErrorCode.BAD_REQUEST, result.replyOfType(Rejected.class).code());

    var wrongSize = kit.<FileEntity.SealReply>runCommand(
        r -> new FileEntity.Seal(id, 99, List.of(new FileVersion.ChunkInfo(100, 1)), 0, NONE, r));
    assertEquals(ErrorCode.BAD_REQUEST, wrongSize.replyOfType(Rejected.class).code());
    assertTrue(get().isEmpty());
  }

  @Test
  void shouldAnswerRetriedSealWithCurrentVersion() {
    FileId id = begin(NONE);
    FileVersion v = ((FileEntity.SealAccepted) seal(id, 10, NONE)).current();

    var again = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, 10,
        List.of(new FileVersion.ChunkInfo(10, 7)), 42, NONE, r));

    assertEquals(v, again.replyOfType(FileEntity.SealAccepted.class).current());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldDropUploadWhenAborted() {
    FileId id = begin(NONE);

    var result = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));

    assertEquals(new FileEntity.Aborted(true, false, true), result.reply());
    assertTrue(result.state().uploads().isEmpty());
    var again = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));
    assertFalse(again.reply().wasPending());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldNotDropCurrentVersionWhenItsIdIsAborted() {
    FileId id = begin(NONE);
    seal(id, 10, NONE);

    var result = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));

    assertEquals(new FileEntity.Aborted(false, true, false), result.reply());
    assertTrue(get().isPresent());
  }

  @Test
  void shouldReportCurrentAndPendingWhenAskedForUploads() {
    FileId sealed = begin(NONE);
    seal(sealed, 10, NONE);
    FileId pending = begin(NONE);

    var uploads = kit.<FileEntity.Uploads>runCommand(FileEntity.GetUploads::new).reply();

    assertEquals(sealed, uploads.current().orElseThrow().fileId());
    assertEquals(List.of(pending), uploads.pending().stream().map(FileEntity.Upload::fileId).toList());
    assertTrue(uploads.pending().get(0).startedAtMillis() > 0);
  }

  @Test
  void shouldReturnDeletedVersionWhenDeleted() {
    FileVersion v = ((FileEntity.SealAccepted) seal(begin(NONE), 10, NONE)).current();
    begin(NONE);

    var deleted = kit.<FileEntity.DeleteReply>runCommand(FileEntity.Delete::new);

    assertEquals(new FileEntity.Deleted(Optional.of(v), true), deleted.reply());
    assertTrue(get().isEmpty());
    var again = kit.<FileEntity.DeleteReply>runCommand(FileEntity.Delete::new);
    assertTrue(again.replyOfType(FileEntity.Deleted.class).version().isEmpty());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldNeverRepeatVersionWhenRecreatedAfterDelete() {
    seal(begin(NONE), 10, NONE);
    seal(begin(NONE), 10, NONE);
    kit.<FileEntity.DeleteReply>runCommand(FileEntity.Delete::new);

    var recreated = assertInstanceOf(FileEntity.SealAccepted.class, seal(begin(CREATE_ONLY), 10, CREATE_ONLY));

    assertEquals(3, recreated.current().version());
    assertTrue(recreated.replaced().isEmpty());
  }

  @Test
  void shouldRecoverStateWhenRestarted() {
    FileVersion v = ((FileEntity.SealAccepted) seal(begin(NONE), 1500, NONE)).current();
    kit.<FileEntity.DeleteReply>runCommand(FileEntity.Delete::new);
    FileId pending = begin(NONE);
    FileEntity.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(2, restarted.state().nextVersion());
    assertEquals(pending, restarted.state().uploads().get(0).fileId());
    assertNotEquals(v.fileId(), pending);
  }

  @Test
  void shouldRecoverFromSnapshotWhenManyEventsWerePersisted() {
    FileVersion last = null;
    for (int i = 0; i < 60; i++) last = ((FileEntity.SealAccepted) seal(begin(NONE), 10 + i, NONE)).current();
    FileEntity.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(Optional.of(last), restarted.state().current());
    assertEquals(61, restarted.state().nextVersion());
    String persistenceId = PersistenceId.of(FileEntity.ENTITY_TYPE_KEY.name(), PATH.toString()).id();
    var snapshots = kit.snapshotTestKit().orElseThrow().persistedInStorage(persistenceId);
    assertFalse(snapshots.isEmpty(), "a snapshot is taken every 100 events");
    assertInstanceOf(FileEntity.State.class, snapshots.get(0).second());
  }

  // ---- one-step writes: Prepare records nothing, SealNew records the upload and its seal in one write

  private FileEntity.SealReply sealNew(FileId id, long size, Precondition precondition) {
    var upload = new FileEntity.Upload(id, Policy.PERSISTENT, CHUNK, System.currentTimeMillis());
    return kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.SealNew(upload, size,
        List.of(new FileVersion.ChunkInfo(size, 7)), 42, precondition, r)).reply();
  }

  @Test
  void shouldPersistNothingWhenPrepared() {
    var result = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Prepare(NONE, r));

    FileEntity.Begun begun = result.replyOfType(FileEntity.Begun.class);
    assertFalse(begun.replaces());
    assertTrue(result.events().isEmpty(), "a prepare records nothing");
    assertTrue(result.state().uploads().isEmpty());
  }

  @Test
  void shouldRecordUploadAndSealInOneWriteWhenSealedNew() {
    FileId id = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Prepare(NONE, r))
        .replyOfType(FileEntity.Begun.class).fileId();
    var upload = new FileEntity.Upload(id, Policy.PERSISTENT, CHUNK, 5);

    var result = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.SealNew(upload, 10,
        List.of(new FileVersion.ChunkInfo(10, 7)), 42, NONE, r));

    assertEquals(List.of(new FileEntity.UploadBegun(upload), new FileEntity.UploadSealed(result.state().current().get())),
        result.events());
    FileVersion v = assertInstanceOf(FileEntity.SealAccepted.class, result.reply()).current();
    assertEquals(id, v.fileId());
    assertEquals(1, v.version());
    assertEquals(10, v.size());
    assertEquals(Optional.of(v), get());
    assertTrue(result.state().uploads().isEmpty(), "nothing is left pending");
    // The state after a restart is the one the two events leave.
    kit.restart();
    assertEquals(Optional.of(v), get());
  }

  @Test
  void shouldAnswerRetriedSealNewWithTheVisibleVersion() {
    FileId id = FileId.random();
    FileVersion first = assertInstanceOf(FileEntity.SealAccepted.class, sealNew(id, 10, NONE)).current();

    var again = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.SealNew(
        new FileEntity.Upload(id, Policy.PERSISTENT, CHUNK, 5), 10, List.of(new FileVersion.ChunkInfo(10, 7)), 42,
        NONE, r));

    assertTrue(again.events().isEmpty());
    assertEquals(first, assertInstanceOf(FileEntity.SealAccepted.class, again.reply()).current());
  }

  @Test
  void shouldReplaceAndCheckPreconditionWhenSealedNew() {
    FileVersion v1 = assertInstanceOf(FileEntity.SealAccepted.class, sealNew(FileId.random(), 10, NONE)).current();

    var refusedEarly = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Prepare(CREATE_ONLY, r)).reply();
    var refused = assertInstanceOf(Rejected.class, sealNew(FileId.random(), 10, CREATE_ONLY));
    var prepared = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Prepare(NONE, r))
        .replyOfType(FileEntity.Begun.class);
    var replaced = assertInstanceOf(FileEntity.SealAccepted.class, sealNew(prepared.fileId(), 20, NONE));

    assertEquals(ErrorCode.PRECONDITION_FAILED, assertInstanceOf(Rejected.class, refusedEarly).code());
    assertEquals(ErrorCode.PRECONDITION_FAILED, refused.code());
    assertTrue(prepared.replaces());
    assertEquals(Optional.of(v1), replaced.replaced());
    assertEquals(2, replaced.current().version());
  }

  @Test
  void shouldRejectSealNewWhoseChunksDoNotAddUp() {
    var upload = new FileEntity.Upload(FileId.random(), Policy.PERSISTENT, CHUNK, 5);

    var result = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.SealNew(upload, 11,
        List.of(new FileVersion.ChunkInfo(10, 7)), 42, NONE, r));

    assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(Rejected.class, result.reply()).code());
    assertTrue(result.events().isEmpty());
    assertTrue(get().isEmpty());
  }
}
