package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
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

  private FileId begin(boolean createOnly) {
    var result = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, createOnly, r));
    return result.replyOfType(FileEntity.Begun.class).fileId();
  }

  private FileEntity.SealReply seal(FileId id, long size, boolean createOnly) {
    List<FileVersion.ChunkInfo> chunks = size == 0 ? List.of()
        : size <= CHUNK ? List.of(new FileVersion.ChunkInfo(size, 7))
        : List.of(new FileVersion.ChunkInfo(CHUNK, 7), new FileVersion.ChunkInfo(size - CHUNK, 8));
    return kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, size, chunks, 42, createOnly, r)).reply();
  }

  private Optional<FileVersion> get() {
    return kit.<FileEntity.Current>runCommand(FileEntity.Get::new).reply().version();
  }

  @Test
  void shouldRecordPendingUploadWhenBegun() {
    var result = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.KVCACHE, CHUNK, false, r));

    FileId id = result.replyOfType(FileEntity.Begun.class).fileId();
    FileEntity.UploadBegun event = result.eventOfType(FileEntity.UploadBegun.class);
    assertEquals(id, event.upload().fileId());
    assertEquals(Policy.KVCACHE, event.upload().policy());
    assertEquals(1, result.state().uploads().size());
    assertTrue(get().isEmpty(), "an upload is not visible before its seal");
  }

  @Test
  void shouldMakeVersionVisibleWhenSealed() {
    FileId id = begin(false);

    var sealed = assertInstanceOf(FileEntity.SealAccepted.class, seal(id, 1500, false));

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
    FileVersion first = ((FileEntity.SealAccepted) seal(begin(false), 10, false)).current();

    var second = assertInstanceOf(FileEntity.SealAccepted.class, seal(begin(false), 20, false));

    assertEquals(2, second.current().version());
    assertEquals(Optional.of(first), second.replaced());
    assertEquals(20, get().orElseThrow().size());
  }

  @Test
  void shouldRejectCreateOnlyWhenVersionExists() {
    seal(begin(true), 10, true);

    var begin = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, true, r));
    assertEquals(ErrorCode.PRECONDITION_FAILED, begin.replyOfType(Rejected.class).code());
    assertTrue(begin.hasNoEvents());
  }

  @Test
  void shouldRejectCreateOnlySealWhenAnotherUploadSealedFirst() {
    FileId slow = begin(true);
    FileId fast = begin(true);
    seal(fast, 10, true);

    var rejected = assertInstanceOf(Rejected.class, seal(slow, 10, true));

    assertEquals(ErrorCode.PRECONDITION_FAILED, rejected.code());
    assertEquals(fast, get().orElseThrow().fileId());
  }

  @Test
  void shouldRejectSealWhenUploadIsNotPending() {
    var rejected = assertInstanceOf(Rejected.class, seal(FileId.random(), 10, false));
    assertEquals(ErrorCode.NOT_FOUND, rejected.code());

    FileId aborted = begin(false);
    kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(aborted, r));
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(Rejected.class, seal(aborted, 10, false)).code());
  }

  @Test
  void shouldRejectSealWhenChunkLengthsDoNotAddUp() {
    FileId id = begin(false);
    List<FileVersion.ChunkInfo> tooShort = List.of(new FileVersion.ChunkInfo(100, 1), new FileVersion.ChunkInfo(10, 2));

    var result = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, 110, tooShort, 0, false, r));
    assertEquals(ErrorCode.BAD_REQUEST, result.replyOfType(Rejected.class).code());

    var wrongSize = kit.<FileEntity.SealReply>runCommand(
        r -> new FileEntity.Seal(id, 99, List.of(new FileVersion.ChunkInfo(100, 1)), 0, false, r));
    assertEquals(ErrorCode.BAD_REQUEST, wrongSize.replyOfType(Rejected.class).code());
    assertTrue(get().isEmpty());
  }

  @Test
  void shouldAnswerRetriedSealWithCurrentVersion() {
    FileId id = begin(false);
    FileVersion v = ((FileEntity.SealAccepted) seal(id, 10, false)).current();

    var again = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, 10,
        List.of(new FileVersion.ChunkInfo(10, 7)), 42, false, r));

    assertEquals(v, again.replyOfType(FileEntity.SealAccepted.class).current());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldDropUploadWhenAborted() {
    FileId id = begin(false);

    var result = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));

    assertEquals(new FileEntity.Aborted(true, false, true), result.reply());
    assertTrue(result.state().uploads().isEmpty());
    var again = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));
    assertFalse(again.reply().wasPending());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldNotDropCurrentVersionWhenItsIdIsAborted() {
    FileId id = begin(false);
    seal(id, 10, false);

    var result = kit.<FileEntity.Aborted>runCommand(r -> new FileEntity.Abort(id, r));

    assertEquals(new FileEntity.Aborted(false, true, false), result.reply());
    assertTrue(get().isPresent());
  }

  @Test
  void shouldReportCurrentAndPendingWhenAskedForUploads() {
    FileId sealed = begin(false);
    seal(sealed, 10, false);
    FileId pending = begin(false);

    var uploads = kit.<FileEntity.Uploads>runCommand(FileEntity.GetUploads::new).reply();

    assertEquals(sealed, uploads.current().orElseThrow().fileId());
    assertEquals(List.of(pending), uploads.pending().stream().map(FileEntity.Upload::fileId).toList());
    assertTrue(uploads.pending().get(0).startedAtMillis() > 0);
  }

  @Test
  void shouldReturnDeletedVersionWhenDeleted() {
    FileVersion v = ((FileEntity.SealAccepted) seal(begin(false), 10, false)).current();
    begin(false);

    var deleted = kit.<FileEntity.Deleted>runCommand(FileEntity.Delete::new);

    assertEquals(new FileEntity.Deleted(Optional.of(v), true), deleted.reply());
    assertTrue(get().isEmpty());
    var again = kit.<FileEntity.Deleted>runCommand(FileEntity.Delete::new);
    assertTrue(again.reply().version().isEmpty());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void shouldNeverRepeatVersionWhenRecreatedAfterDelete() {
    seal(begin(false), 10, false);
    seal(begin(false), 10, false);
    kit.runCommand(FileEntity.Delete::new);

    var recreated = assertInstanceOf(FileEntity.SealAccepted.class, seal(begin(true), 10, true));

    assertEquals(3, recreated.current().version());
    assertTrue(recreated.replaced().isEmpty());
  }

  @Test
  void shouldRecoverStateWhenRestarted() {
    FileVersion v = ((FileEntity.SealAccepted) seal(begin(false), 1500, false)).current();
    kit.runCommand(FileEntity.Delete::new);
    FileId pending = begin(false);
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
    for (int i = 0; i < 60; i++) last = ((FileEntity.SealAccepted) seal(begin(false), 10 + i, false)).current();
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
}
