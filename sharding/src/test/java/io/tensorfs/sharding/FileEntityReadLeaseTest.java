package io.tensorfs.sharding;

import static io.tensorfs.core.Precondition.NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A file entity's read leases: it records the nodes it gives its version to, and answers a replace or a
 * delete only once each of them has dropped that version or its lease has run out.
 */
class FileEntityReadLeaseTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final TfsPath PATH = TfsPath.parse("/t/leases/w.bin");
  private static final int CHUNK = 1024;

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit(Duration lease,
      boolean manualClock) {
    var kit = EventSourcedBehaviorTestKit.<FileEntity.Command, FileEntity.Event, FileEntity.State>create(
        TEST_KIT.system(), FileEntity.create(PATH.toString(), lease, manualClock ? clock::get : System::nanoTime),
        EventSourcedBehaviorTestKit.enabledSerializationSettings());
    kit.clear();
    return kit;
  }

  private static FileVersion write(EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit,
      long size) {
    FileId id = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, NONE, r))
        .replyOfType(FileEntity.Begun.class).fileId();
    var reply = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(id, size,
        List.of(new FileVersion.ChunkInfo(size, 7)), 42, NONE, r)).reply();
    return assertInstanceOf(FileEntity.SealAccepted.class, reply).current();
  }

  /** Sends a seal of a new upload whose answer goes to {@code writer}; returns the new upload's id. */
  private static FileId sealTo(EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit,
      TestProbe<FileEntity.SealReply> writer) {
    FileId id = kit.<FileEntity.BeginReply>runCommand(r -> new FileEntity.Begin(Policy.PERSISTENT, CHUNK, NONE, r))
        .replyOfType(FileEntity.Begun.class).fileId();
    kit.runCommand(new FileEntity.Seal(id, 5, List.of(new FileVersion.ChunkInfo(5, 7)), 42, NONE, writer.ref()));
    return id;
  }

  private static Optional<FileVersion> lookup(
      EventSourcedBehaviorTestKit<FileEntity.Command, FileEntity.Event, FileEntity.State> kit,
      TestProbe<VersionHolder.Command> holder) {
    return kit.<FileEntity.Current>runCommand(r -> new FileEntity.ReadLookup(holder.ref(), r)).reply().version();
  }

  @Test
  void shouldTellEveryHolderBeforeAnsweringReplaceWhenLeasesAreOut() {
    var kit = kit(Duration.ofMinutes(1), true);
    FileVersion v1 = write(kit, 10);
    TestProbe<VersionHolder.Command> a = TEST_KIT.createTestProbe();
    TestProbe<VersionHolder.Command> b = TEST_KIT.createTestProbe();
    assertEquals(Optional.of(v1), lookup(kit, a));
    assertEquals(Optional.of(v1), lookup(kit, b));
    TestProbe<FileEntity.SealReply> writer = TEST_KIT.createTestProbe();

    FileId v2 = sealTo(kit, writer);

    var toA = a.expectMessageClass(VersionHolder.Invalidate.class);
    var toB = b.expectMessageClass(VersionHolder.Invalidate.class);
    assertEquals(PATH, toA.path());
    assertEquals(v1.version(), toA.version());
    assertEquals(v2, kit.getState().current().orElseThrow().fileId(), "the seal is recorded before the holders are told");
    toA.replyTo().tell(new FileEntity.HolderInvalidated(a.ref(), toA.version()));
    writer.expectNoMessage(Duration.ofMillis(300));
    toB.replyTo().tell(new FileEntity.HolderInvalidated(b.ref(), toB.version()));
    var accepted = assertInstanceOf(FileEntity.SealAccepted.class, writer.receiveMessage());
    assertEquals(v2, accepted.current().fileId());
    assertEquals(Optional.of(v1), accepted.replaced());
  }

  @Test
  void shouldTellHoldersBeforeAnsweringDelete() {
    var kit = kit(Duration.ofMinutes(1), true);
    FileVersion v1 = write(kit, 10);
    TestProbe<VersionHolder.Command> holder = TEST_KIT.createTestProbe();
    lookup(kit, holder);
    TestProbe<FileEntity.DeleteReply> writer = TEST_KIT.createTestProbe();

    kit.runCommand(new FileEntity.Delete(writer.ref()));

    var told = holder.expectMessageClass(VersionHolder.Invalidate.class);
    assertEquals(v1.version(), told.version());
    writer.expectNoMessage(Duration.ofMillis(300));
    told.replyTo().tell(new FileEntity.HolderInvalidated(holder.ref(), v1.version()));
    var deleted = assertInstanceOf(FileEntity.Deleted.class, writer.receiveMessage());
    assertEquals(Optional.of(v1), deleted.version());
  }

  @Test
  void shouldAnswerAtOnceWhenTheOnlyLeaseHasRunOut() {
    var kit = kit(Duration.ofSeconds(5), true);
    write(kit, 10);
    TestProbe<VersionHolder.Command> holder = TEST_KIT.createTestProbe();
    lookup(kit, holder);
    clock.addAndGet(Duration.ofSeconds(5).toNanos());

    FileVersion v2 = write(kit, 20);

    assertEquals(2, v2.version());
    holder.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldRecordNoHolderWhenThePathHasNoVersion() {
    var kit = kit(Duration.ofMinutes(1), true);
    TestProbe<VersionHolder.Command> holder = TEST_KIT.createTestProbe();

    assertTrue(lookup(kit, holder).isEmpty());
    write(kit, 10);
    write(kit, 20);

    holder.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldNotTellAHolderOfTheVersionThatIsVisible() {
    var kit = kit(Duration.ofMinutes(1), true);
    write(kit, 10);
    TestProbe<VersionHolder.Command> holder = TEST_KIT.createTestProbe();
    lookup(kit, holder);
    TestProbe<FileEntity.SealReply> writer = TEST_KIT.createTestProbe();
    sealTo(kit, writer);
    var told = holder.expectMessageClass(VersionHolder.Invalidate.class);
    // The holder asks again before it confirms: it is given the new version, which a later seal of the
    // same upload (a retry) does not take away.
    FileVersion v2 = lookup(kit, holder).orElseThrow();
    told.replyTo().tell(new FileEntity.HolderInvalidated(holder.ref(), told.version()));
    writer.receiveMessage();

    var retried = kit.<FileEntity.SealReply>runCommand(r -> new FileEntity.Seal(v2.fileId(), 5,
        List.of(new FileVersion.ChunkInfo(5, 7)), 42, NONE, r)).reply();

    assertEquals(v2, assertInstanceOf(FileEntity.SealAccepted.class, retried).current());
    holder.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void shouldAnswerWhenTheLeaseOfAHolderThatNeverConfirmsRunsOut() {
    Duration lease = Duration.ofMillis(800);
    var kit = kit(lease, false);
    write(kit, 10);
    TestProbe<VersionHolder.Command> dead = TEST_KIT.createTestProbe();
    lookup(kit, dead);
    long start = System.nanoTime();
    TestProbe<FileEntity.SealReply> writer = TEST_KIT.createTestProbe();

    sealTo(kit, writer);

    dead.expectMessageClass(VersionHolder.Invalidate.class);
    assertInstanceOf(FileEntity.SealAccepted.class, writer.receiveMessage(Duration.ofSeconds(5)));
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(waitedMillis >= lease.toMillis() - 50,
        "the answer waited for the lease (granted before the seal began) to run out, but came after " + waitedMillis + " ms");
  }

  @Test
  void shouldWaitOutTheLeaseBeforeAnsweringDeleteWhenRestartedWithAVersion() {
    Duration lease = Duration.ofMillis(1500);
    var kit = kit(lease, false);
    write(kit, 10);

    kit.restart();
    long restartedAt = System.nanoTime();
    TestProbe<FileEntity.DeleteReply> writer = TEST_KIT.createTestProbe();
    kit.runCommand(new FileEntity.Delete(writer.ref()));

    assertInstanceOf(FileEntity.Deleted.class, writer.receiveMessage(Duration.ofSeconds(10)));
    long waitedMillis = (System.nanoTime() - restartedAt) / 1_000_000;
    assertTrue(waitedMillis >= lease.toMillis() - 50,
        "a restarted entity does not know its holders: it waits one lease, but answered after " + waitedMillis + " ms");
    // Past that lease, nothing is waited for.
    FileVersion next = write(kit, 20);
    assertEquals(2, next.version());
  }

  @Test
  void shouldNotWaitWhenRestartedWithoutHistory() {
    var kit = kit(Duration.ofMinutes(1), true);
    kit.restart();

    assertEquals(1, write(kit, 10).version());
  }
}
