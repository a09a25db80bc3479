package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.store.MetadataOracle;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The metadata API over a one-node cluster in this JVM, on the in-memory journal. */
class ShardedMetadataTest {
  private static final String NODE = "node-a";
  private static final ReplicaLocation HERE = new ReplicaLocation(NODE, "d0");
  private static final ReplicaLocation B = new ReplicaLocation("node-b", "d0");
  private static final ReplicaLocation C = new ReplicaLocation("node-c", "d0");
  private static final int CHUNK = 1000;

  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;

  static Config clusterConfig() {
    return ConfigFactory.parseString("tensorfs.sharding.ask-timeout = 5s")
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ClusterTestConfig.of("node-a"));
  }

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create("metadata", clusterConfig());
    metadata = joinAlone(testKit);
  }

  /** Joins the test kit's system as a cluster of one, waits until it is up, and returns the metadata over it. */
  static ShardedMetadata joinAlone(ActorTestKit testKit) {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10),
        () -> {
          assertEquals(MemberStatus.up(), cluster.selfMember().status());
          return null;
        });
    return new ShardedMetadata(testKit.system(), System.currentTimeMillis());
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  private static ErrorCode failureOf(CompletionStage<?> stage) {
    return assertInstanceOf(TfsException.class, Awaits.failure(stage), "fails with a TfsException").code();
  }

  /** Uploads {@code size} bytes as the chunks of a new version, placed on here, B and C. */
  private static Metadata.Sealed upload(TfsPath path, long size) throws Exception {
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    return await(metadata.seal(path, id, size, writeChunks(id, size), 77, Precondition.NONE));
  }

  private static List<FileVersion.ChunkInfo> writeChunks(FileId id, long size) throws Exception {
    int count = (int) ((size + CHUNK - 1) / CHUNK);
    List<FileVersion.ChunkInfo> chunks = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      ChunkId chunk = new ChunkId(id, i);
      List<ReplicaLocation> placed = await(metadata.allocateChunk(chunk, Policy.PERSISTENT, List.of(HERE, B, C)));
      long length = Math.min(CHUNK, size - (long) i * CHUNK);
      await(metadata.commitChunk(chunk, length, 100 + i, placed));
      chunks.add(new FileVersion.ChunkInfo(length, 100 + i));
    }
    return chunks;
  }

  private static TfsPath path(String text) {
    return TfsPath.parse(text);
  }

  @Test
  void shouldServeFileAndItsDirectoriesWhenSealed() throws Exception {
    TfsPath path = path("/served/models/w.bin");

    Metadata.Sealed sealed = upload(path, 2500);

    FileVersion v = sealed.current();
    assertEquals(1, v.version());
    assertEquals(2500, v.size());
    assertEquals(3, v.chunks().size());
    assertTrue(sealed.replaced().isEmpty());
    assertEquals(v, await(metadata.stat(path)));
    assertEquals(List.of(new DirEntry("w.bin", DirEntry.Type.FILE, 2500)), await(metadata.list(path("/served/models"))));
    assertEquals(List.of(new DirEntry("models", DirEntry.Type.DIR, 0)), await(metadata.list(path("/served"))));
    assertTrue(await(metadata.list(TfsPath.ROOT)).contains(new DirEntry("served", DirEntry.Type.DIR, 0)));
    ChunkStatus chunk = await(metadata.chunk(new ChunkId(v.fileId(), 2)));
    assertEquals(List.of(HERE, B, C), chunk.clean());
    assertEquals(500, chunk.lengthBytes());
  }

  @Test
  void shouldListFilesSortedWithSizesAndHideUploadsInFlight() throws Exception {
    upload(path("/sorted/b"), 20);
    upload(path("/sorted/a"), 10);
    upload(path("/sorted/sub/c"), 5);
    await(metadata.beginUpload(path("/sorted/pending"), Policy.KVCACHE, CHUNK, Precondition.NONE));

    assertEquals(List.of(new DirEntry("a", DirEntry.Type.FILE, 10), new DirEntry("b", DirEntry.Type.FILE, 20),
        new DirEntry("sub", DirEntry.Type.DIR, 0)), await(metadata.list(path("/sorted"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path("/sorted/pending"))));
  }

  @Test
  void shouldRejectFilesAndDirectoriesInEachOthersPlace() throws Exception {
    upload(path("/clash/f"), 1);

    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.beginUpload(path("/clash/f/g"), Policy.PERSISTENT, CHUNK, Precondition.NONE)));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.beginUpload(path("/clash"), Policy.PERSISTENT, CHUNK, Precondition.NONE)));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.beginUpload(TfsPath.ROOT, Policy.PERSISTENT, CHUNK, Precondition.NONE)));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.list(path("/clash/f"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.list(path("/clash/nothing"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path("/clash"))));
  }

  @Test
  void shouldReturnReplacedVersionWhenOverwritten() throws Exception {
    TfsPath path = path("/over/w");
    FileVersion first = upload(path, 10).current();

    Metadata.Sealed second = upload(path, 20);

    assertEquals(2, second.current().version());
    assertEquals(first, second.replaced().orElseThrow());
    assertEquals(20, await(metadata.stat(path)).size());
    assertEquals(ErrorCode.PRECONDITION_FAILED,
        failureOf(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.CREATE_ONLY)));
  }

  @Test
  void shouldRejectCreateOnlySealWhenAnotherUploadWon() throws Exception {
    TfsPath path = path("/race/w");
    FileId slow = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.CREATE_ONLY));
    FileId fast = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.CREATE_ONLY));
    await(metadata.seal(path, fast, 0, List.of(), 0, Precondition.CREATE_ONLY));

    assertEquals(ErrorCode.PRECONDITION_FAILED, failureOf(metadata.seal(path, slow, 0, List.of(), 0, Precondition.CREATE_ONLY)));
    assertEquals(fast, await(metadata.stat(path)).fileId());
  }

  @Test
  void shouldKeepFileWhenDeleteIfMatchNamesAnotherVersion() throws Exception {
    TfsPath path = path("/cond/f");
    FileVersion v = upload(path, 3).current();

    assertEquals(ErrorCode.PRECONDITION_FAILED, failureOf(metadata.delete(path, Precondition.ifMatch(7))));
    assertEquals(v, await(metadata.stat(path)));
    assertEquals(List.of(new DirEntry("f", DirEntry.Type.FILE, 3)), await(metadata.list(path("/cond"))));

    assertEquals(v, await(metadata.delete(path, Precondition.ifMatch(v.version()))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path)));
  }

  @Test
  void shouldForgetFileAndEmptyDirectoriesWhenDeleted() throws Exception {
    TfsPath path = path("/gone/deep/er/f");
    upload(path("/gone/keep"), 1);
    FileVersion v = upload(path, 3).current();

    assertEquals(v, await(metadata.delete(path, Precondition.NONE)));

    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path)));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.list(path("/gone/deep/er"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.list(path("/gone/deep"))));
    assertEquals(List.of(new DirEntry("keep", DirEntry.Type.FILE, 1)), await(metadata.list(path("/gone"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.delete(path, Precondition.NONE)));
    FileVersion again = upload(path, 4).current();
    assertEquals(2, again.version(), "versions never repeat across a delete");
    assertEquals(List.of(new DirEntry("f", DirEntry.Type.FILE, 4)), await(metadata.list(path("/gone/deep/er"))));
  }

  @Test
  void shouldKeepNameWhenDeletedDuringAnUpload() throws Exception {
    TfsPath path = path("/busy/f");
    upload(path, 1);
    FileId next = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));

    await(metadata.delete(path, Precondition.NONE));
    assertEquals(List.of(), await(metadata.list(path("/busy"))));
    await(metadata.seal(path, next, 2, writeChunks(next, 2), 0, Precondition.NONE));

    assertEquals(List.of(new DirEntry("f", DirEntry.Type.FILE, 2)), await(metadata.list(path("/busy"))));
  }

  @Test
  void shouldDeleteChunksAndNameWhenUploadIsAborted() throws Exception {
    TfsPath path = path("/abort/f");
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    writeChunks(id, 2500);

    await(metadata.abortUpload(path, id));

    for (int i = 0; i < 3; i++) {
      assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.chunk(new ChunkId(id, i))));
    }
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.seal(path, id, 0, List.of(), 0, Precondition.NONE)));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.list(path("/abort"))));
  }

  @Test
  void shouldRejectChunkCommitWhenNotPlacedOrBytesDiffer() throws Exception {
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.commitChunk(chunk, 1, 1, List.of(HERE))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.chunk(chunk)));

    assertEquals(List.of(HERE), await(metadata.allocateChunk(chunk, Policy.KVCACHE, List.of(HERE, B))));
    assertEquals(List.of(HERE), await(metadata.allocateChunk(chunk, Policy.KVCACHE, List.of(B))));
    await(metadata.commitChunk(chunk, 1, 1, List.of(HERE)));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.commitChunk(chunk, 1, 2, List.of(HERE))));
  }

  @Test
  void shouldJudgeStoredFilesWhenStoresScan() throws Exception {
    TfsPath path = path("/scan/f");
    FileVersion old = upload(path, 1500).current();
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    await(metadata.allocateChunk(new ChunkId(id, 0), Policy.PERSISTENT, List.of(HERE, B)));
    await(metadata.commitChunk(new ChunkId(id, 0), CHUNK, 1, List.of(HERE, B)));
    await(metadata.allocateChunk(new ChunkId(id, 1), Policy.PERSISTENT, List.of(B, C, HERE)));
    await(metadata.commitChunk(new ChunkId(id, 1), 10, 2, List.of(B, C)));
    List<FileVersion.ChunkInfo> chunks = List.of(new FileVersion.ChunkInfo(CHUNK, 1), new FileVersion.ChunkInfo(10, 2));

    assertEquals(new MetadataOracle.Pending("upload in progress"), await(metadata.check(id, path, "d0")));
    await(metadata.seal(path, id, CHUNK + 10, chunks, 3, Precondition.NONE));

    assertEquals(new MetadataOracle.Live(Set.of(0)), await(metadata.check(id, path, "d0")),
        "chunk 1 is STALE here");
    assertEquals(new MetadataOracle.Live(Set.of()), await(metadata.check(id, path, "d9")));
    assertInstanceOf(MetadataOracle.Orphan.class, await(metadata.check(old.fileId(), path, "d0")));
    assertInstanceOf(MetadataOracle.Orphan.class, await(metadata.check(FileId.random(), path("/scan/none"), "d0")));
  }

  @Test
  void shouldAbandonUploadWhenItStartedBeforeThisNode() throws Exception {
    TfsPath path = path("/crashed/f");
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    writeChunks(id, 10);
    ShardedMetadata restarted = new ShardedMetadata(testKit.system(), System.currentTimeMillis() + 60_000);

    assertInstanceOf(MetadataOracle.Orphan.class, await(restarted.check(id, path, "d0")));

    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.seal(path, id, 10, List.of(), 0, Precondition.NONE)));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.chunk(new ChunkId(id, 0))));
  }

  @Test
  void shouldMarkReplicaMissingWhenStoreReportsIt() throws Exception {
    FileVersion v = upload(path("/missing/f"), 10).current();
    ChunkId chunk = new ChunkId(v.fileId(), 0);

    await(metadata.reportMissing(chunk, "d0"));

    ChunkStatus status = await(metadata.chunk(chunk));
    assertEquals(ReplicaState.MISSING, status.replicas().get(0).state());
    assertEquals(List.of(B, C), status.clean());
    assertEquals(new MetadataOracle.Live(Set.of(0)), await(metadata.check(v.fileId(), path("/missing/f"), "d0")));
  }

  @Test
  void shouldFailUnavailableWhenEntitiesDoNotAnswer() throws Exception {
    // A node that never joins a cluster hosts no shard: every ask times out.
    Config quickStop = ConfigFactory.parseString(
        "pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 500ms");
    ActorTestKit lonely = ActorTestKit.create("lonely", quickStop.withFallback(clusterConfig()));
    try {
      ShardedMetadata unreachable = new ShardedMetadata(lonely.system(),
          new ShardingSettings(Duration.ofMillis(300), NODE), System.currentTimeMillis());

      assertEquals(ErrorCode.UNAVAILABLE, failureOf(unreachable.stat(path("/x/y"))));
      assertInstanceOf(MetadataOracle.Unknown.class, await(unreachable.check(FileId.random(), path("/x/y"), "d0")));
    } finally {
      lonely.shutdownTestKit();
    }
  }

  @Test
  void shouldNotReuseFileIdsAcrossUploads() throws Exception {
    TfsPath path = path("/ids/f");
    FileId a = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    FileId b = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    assertNotEquals(a, b);
  }
}
