package io.tensorfs.store;

import static io.tensorfs.store.StoreTesting.OWNER;
import static io.tensorfs.store.StoreTesting.randomBytes;
import static io.tensorfs.store.StoreTesting.smallSettings;
import static io.tensorfs.store.StoreTesting.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.MetadataOracle.Live;
import io.tensorfs.store.MetadataOracle.Orphan;
import io.tensorfs.store.MetadataOracle.Pending;
import io.tensorfs.store.MetadataOracle.Verdict;
import io.tensorfs.store.StoreSettings.DirectIo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final ReadLeases leases = new ReadLeases();
  @TempDir Path dir;
  private FileChunkStore store;
  private ActorRef<StoreActor.Command> actor;

  /** An hour of grace; an unreachable metadata is asked again after 20, 40, 80, 80... ms, for half a second. */
  private static final ReconcileSettings RECONCILE = new ReconcileSettings(Duration.ofHours(1), Duration.ofMillis(20),
      Duration.ofMillis(80), Duration.ofMillis(500));

  private StoreSettings settings;

  @BeforeEach
  void start() {
    settings = smallSettings(dir, DirectIo.AUTO);
    store = new FileChunkStore("d0", dir, settings, io);
    actor = testKit.spawn(StoreActor.create(store, leases, settings, RECONCILE));
  }

  @AfterEach
  void stop() {
    testKit.stop(actor);
    io.shutdownNow();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  /**
   * Answers from a fixed table of verdicts, fails for versions it does not know (and for every ask while
   * {@code unreachableAsks} is above zero, counting it down), records asks and reports.
   */
  private static final class FakeOracle implements MetadataOracle {
    final Map<FileId, Verdict> verdicts = new ConcurrentHashMap<>();
    final List<ChunkId> reported = new CopyOnWriteArrayList<>();
    final AtomicInteger unreachableAsks = new AtomicInteger();
    final AtomicInteger asks = new AtomicInteger();

    @Override
    public CompletionStage<Verdict> check(FileId file, TfsPath owner, String storeId) {
      asks.incrementAndGet();
      if (unreachableAsks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new IllegalStateException("metadata unreachable"));
      }
      Verdict v = verdicts.get(file);
      if (v == null || !owner.equals(OWNER) || !storeId.equals("d0")) {
        return CompletableFuture.failedFuture(new IllegalStateException("metadata unreachable"));
      }
      return CompletableFuture.completedFuture(v);
    }

    @Override
    public CompletionStage<Void> reportMissing(ChunkId chunk, String storeId) {
      reported.add(chunk);
      return CompletableFuture.completedFuture(null);
    }
  }

  @Test
  void shouldRemoveOrphansKeepLiveAndUnknownAndReportMissingWhenReconciling() throws Exception {
    FileId orphan = writeVersion(0);
    age(orphan, Duration.ofHours(2));
    FileId live = writeVersion(0, 1);
    FileId unknown = writeVersion(0);
    FileId unreachable = writeVersion(0);
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(orphan, new Orphan());
    oracle.verdicts.put(live, new Live(Set.of(0, 1, 2, 5)));
    oracle.verdicts.put(unknown, new Pending("upload in progress"));
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    List<ChunkId> missing = List.of(new ChunkId(live, 2), new ChunkId(live, 5));
    assertEquals(new ReconcileReport(3, 1, missing), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertEquals(Set.copyOf(missing), Set.copyOf(oracle.reported));
    assertFalse(Files.exists(versionDir(orphan)));
    for (FileId kept : List.of(live, unknown, unreachable)) assertTrue(Files.exists(versionDir(kept)));
  }

  @Test
  void shouldWaitAndAskAgainWhenTheMetadataIsUnreachableThenRemoveTheOrphan() throws Exception {
    FileId orphan = writeVersion(0);
    age(orphan, Duration.ofHours(2));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(orphan, new Orphan());
    oracle.unreachableAsks.set(3);
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(0, 1, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertEquals(4, oracle.asks.get(), "three unanswered asks, then the verdict");
    assertFalse(Files.exists(versionDir(orphan)));
  }

  @Test
  void shouldKeepEverythingWhenTheMetadataStaysUnreachablePastThePatience() throws Exception {
    FileId orphan = writeVersion(0);
    age(orphan, Duration.ofHours(2));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(orphan, new Orphan());
    oracle.unreachableAsks.set(Integer.MAX_VALUE);
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(1, 0, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertTrue(oracle.asks.get() >= 4, "asked again while waiting, not once: " + oracle.asks.get());
    assertTrue(Files.exists(versionDir(orphan)));
  }

  @Test
  void shouldKeepAnOrphanWhenItIsYoungerThanTheGrace() throws Exception {
    FileId young = writeVersion(0, 1);
    age(young, Duration.ofMinutes(59));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(young, new Orphan());
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(1, 0, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertTrue(Files.exists(versionDir(young)));
  }

  @Test
  void shouldRemoveAnOrphanWhenItIsOlderThanTheGrace() throws Exception {
    FileId old = writeVersion(0, 1);
    age(old, Duration.ofMinutes(61));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(old, new Orphan());
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(0, 1, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertFalse(Files.exists(versionDir(old)));
  }

  @Test
  void shouldKeepSealedAndPendingVersionsWhateverTheirAge() throws Exception {
    FileId sealed = writeVersion(0, 1);
    FileId pending = writeVersion(0);
    age(sealed, Duration.ofDays(30));
    age(pending, Duration.ofDays(30));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(sealed, new Live(Set.of(0, 1)));
    oracle.verdicts.put(pending, new Pending("upload in progress"));
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(2, 0, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertTrue(Files.exists(versionDir(sealed)));
    assertTrue(Files.exists(versionDir(pending)));
  }

  @Test
  void shouldRemoveADeferredOrphanWhenItsGraceHasPassed() throws Exception {
    ReconcileSettings shortGrace = new ReconcileSettings(Duration.ofSeconds(2), Duration.ofMillis(20),
        Duration.ofMillis(80), Duration.ofMillis(500));
    ActorRef<StoreActor.Command> quick = testKit.spawn(StoreActor.create(store, leases, settings, shortGrace));
    FileId orphan = writeVersion(0);
    age(orphan, Duration.ofMillis(500));
    FakeOracle oracle = new FakeOracle();
    oracle.verdicts.put(orphan, new Orphan());
    TestProbe<ReconcileReport> probe = testKit.createTestProbe();

    quick.tell(new StoreActor.Reconcile(oracle, probe.getRef()));

    assertEquals(new ReconcileReport(1, 0, List.of()), probe.receiveMessage(StoreTesting.TIMEOUT));
    assertTrue(Files.exists(versionDir(orphan)), "kept while inside the grace");
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertFalse(Files.exists(versionDir(orphan)), "removed once the grace passed");
      return null;
    });
    testKit.stop(quick);
  }

  @Test
  void shouldDeleteAVersionOnlyAfterItsLastLeaseIsReleased() {
    FileId file = writeVersion(0, 1);
    ReadLeases.Lease first = leases.acquire(file);
    ReadLeases.Lease second = leases.acquire(file);
    TestProbe<Done> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.CollectFile(file, probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(200)); // several retries at 50 ms
    first.close();
    probe.expectNoMessage(Duration.ofMillis(200));
    assertTrue(Files.exists(versionDir(file)));

    second.close();
    probe.expectMessage(StoreTesting.TIMEOUT, Done.done());
    assertFalse(Files.exists(versionDir(file)));
  }

  @Test
  void shouldAnswerEveryCollectorWhenTheVersionIsFree() {
    FileId file = writeVersion(0);
    TestProbe<Done> a = testKit.createTestProbe();
    TestProbe<Done> b = testKit.createTestProbe();

    actor.tell(new StoreActor.CollectFile(file, a.getRef()));
    actor.tell(new StoreActor.CollectFile(file, b.getRef()));

    a.expectMessage(StoreTesting.TIMEOUT, Done.done());
    b.expectMessage(StoreTesting.TIMEOUT, Done.done());
    assertFalse(Files.exists(versionDir(file)));
  }

  @Test
  void shouldReportItsStoreWhenAskedForStats() {
    TestProbe<StoreActor.Stats> probe = testKit.createTestProbe();

    actor.tell(new StoreActor.GetStats(probe.getRef()));

    StoreActor.Stats stats = probe.receiveMessage(StoreTesting.TIMEOUT);
    assertEquals("d0", stats.storeId());
    assertEquals(dir.toAbsolutePath().normalize().toString(), stats.directory());
    assertEquals(store.directIo(), stats.directIo());
    assertTrue(stats.usableBytes() > 0);
  }

  private FileId writeVersion(int... indexes) {
    FileId file = FileId.random();
    for (int index : indexes) write(store, new ChunkId(file, index), randomBytes(5000, index), 5000);
    return file;
  }

  /** Sets every file of {@code file}'s version folder to have been last written {@code ago}. */
  private void age(FileId file, Duration ago) throws Exception {
    FileTime then = FileTime.fromMillis(System.currentTimeMillis() - ago.toMillis());
    try (Stream<Path> all = Files.list(versionDir(file))) {
      for (Path p : (Iterable<Path>) all::iterator) Files.setLastModifiedTime(p, then);
    }
  }

  private Path versionDir(FileId file) {
    return dir.resolve("chunks").resolve(file.value());
  }
}
