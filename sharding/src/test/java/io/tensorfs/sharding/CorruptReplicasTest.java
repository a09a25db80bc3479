package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.LocalNode;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.OperatorSettings;
import io.tensorfs.sharding.replication.CorruptReplicas;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.CorruptReplica;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads that find corrupt replicas, on one node with two stores (each chunk has a replica on both): the
 * replica is marked CORRUPT, the read goes on from the other one, the corrupt one is re-created, and a
 * range clear of a bad block is served even when every replica has it.
 */
class CorruptReplicasTest {
  private static final int CHUNK_BYTES = 4 << 20;
  private static final int SIZE = 3 << 20;
  /** In the chunk's second cache page (2 MiB pages): a range in the first needs none of its blocks. */
  private static final long BAD_AT = (5L << 20) / 2;

  @TempDir static Path d0;
  @TempDir static Path d1;

  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;
  private static Stores stores;
  private static NodeOperator files;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("corrupt", ConfigFactory.parseString("tensorfs.sharding.repair.corrupt-delay = 2s")
        .withFallback(ShardedMetadataTest.clusterConfig()));
    metadata = ShardedMetadataTest.joinAlone(testKit);
    AtomicReference<CorruptReplicas> handler = new AtomicReference<>();
    StoreSettings settings = StoreSettings.defaults(List.of(d0, d1)).withReservedBytes(0);
    stores = new Stores(settings, testKit.system(), (CorruptReplica r) -> handler.get().found(r));
    Map<String, ChunkStore> byId = new LinkedHashMap<>();
    Map<String, ActorRef<StoreActor.Command>> actors = new LinkedHashMap<>();
    for (ChunkStore s : stores.all()) {
      byId.put(s.id(), s);
      actors.put(s.id(), testKit.spawn(StoreActor.create(s, stores.leases(), settings), "store-" + s.id()));
    }
    LocalNode local = LocalNode.of("node-a", stores, actors);
    handler.set(new CorruptReplicas(testKit.system(), metadata, new Peers("node-a"), byId,
        CorruptReplicas.Settings.from(testKit.system().settings().config())));
    CacheSettings cacheSettings = CacheSettings.small(16);
    ChunkCache cache = new ChunkCache(PagePool.allocate(cacheSettings.poolSettings()), cacheSettings, stores::byId,
        c -> {});
    files = new NodeOperator(testKit.system(), metadata, local, cache,
        OperatorSettings.fromConfig(testKit.system().settings().config()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static byte[] put(TfsPath path, long seed) {
    byte[] bytes = new byte[SIZE];
    new Random(seed).nextBytes(bytes);
    await(files.put(path, Policy.PERSISTENT, CHUNK_BYTES, Precondition.NONE, OptionalLong.of(SIZE), 1L << 30,
        Source.single(ByteString.fromArray(bytes))));
    return bytes;
  }

  private static FileVersion stat(TfsPath path) {
    return await(files.stat(path));
  }

  private static ChunkStatus chunk(FileVersion v) {
    return await(metadata.chunk(new ChunkId(v.fileId(), 0)));
  }

  private static byte[] read(FileVersion v, long first, long length) {
    FileRead read = await(files.openRead(v, first, length));
    return await(files.bytesOf(read).runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat),
        testKit.system())).toArray();
  }

  private static Path dataFile(ReplicaLocation at, FileVersion v) {
    Path dir = at.store().equals("d0") ? d0 : d1;
    return dir.resolve("chunks").resolve(v.fileId().value()).resolve("0.data");
  }

  private static ChunkStatus awaitChunk(FileVersion v, Predicate<ChunkStatus> test) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ChunkStatus last = chunk(v);
    while (!test.test(last) && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(50);
      last = chunk(v);
    }
    assertTrue(test.test(last), "chunk never matched: " + last);
    return last;
  }

  @Test
  void shouldServeTheRightBytesMarkTheReplicaCorruptAndReCreateItWhenAReadFindsABadBlock() throws Exception {
    TfsPath path = TfsPath.parse("/t/corrupt/one");
    byte[] bytes = put(path, 1);
    FileVersion v = stat(path);
    List<ReplicaLocation> clean = chunk(v).clean();
    assertEquals(2, clean.size(), "a replica on each store: " + chunk(v));
    ReplicaLocation first = clean.get(0); // read first
    flipByte(dataFile(first, v), BAD_AT);

    assertArrayEquals(bytes, read(v, 0, SIZE), "the whole file, the bad block's page from the other replica");

    ChunkStatus marked = awaitChunk(v, s -> s.corrupt().contains(first));
    assertEquals(List.of(clean.get(1)), marked.clean());
    ChunkStatus recreated = awaitChunk(v, s -> s.clean().size() == 2);
    assertEquals(List.of(), recreated.corrupt());
    byte[] onDisk = Files.readAllBytes(dataFile(first, v));
    assertArrayEquals(bytes, onDisk, "the corrupt file was replaced by a good copy");
    assertArrayEquals(bytes, await(stores.byId(first.store()).read(new ChunkId(v.fileId(), 0), 0, SIZE)).toArray(),
        "and its checksums agree");
  }

  @Test
  void shouldServeARangeClearOfTheBadBlockAndRefuseOneThatNeedsItWhenEveryReplicaIsCorrupt() throws Exception {
    TfsPath path = TfsPath.parse("/t/corrupt/all");
    byte[] bytes = put(path, 2);
    FileVersion v = stat(path);
    for (ReplicaLocation at : chunk(v).clean()) flipByte(dataFile(at, v), BAD_AT);

    byte[] range = read(v, 0, 1001);
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 0, 1001), range, "a range on a miss needs only its blocks");

    Throwable failure = Awaits.failure(files.openRead(v, 0, SIZE));
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, assertInstanceOf(TfsException.class, failure).code(),
        "the whole file fails before its first byte: " + failure);

    ChunkStatus marked = awaitChunk(v, s -> s.corrupt().size() == 2);
    assertTrue(marked.replicas().stream().allMatch(r -> r.state() == ReplicaState.CORRUPT), marked.toString());
    byte[] again = read(v, 1000, 2000);
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 1000, 3000), again,
        "CORRUPT replicas still serve their good blocks");
    Throwable tail = Awaits.failure(files.openRead(v, BAD_AT - 10, 20));
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, assertInstanceOf(TfsException.class, tail).code());
    TimeUnit.SECONDS.sleep(3); // past the re-creation delay: with nothing clean to copy, they stay CORRUPT
    assertEquals(2, chunk(v).corrupt().size());
  }

  private static void flipByte(Path path, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, position);
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      ch.write(one, position);
    }
  }
}
