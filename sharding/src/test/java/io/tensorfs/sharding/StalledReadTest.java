package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.metrics.Readings;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.LocalNode;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.OperatorSettings;
import io.tensorfs.sharding.operator.ReadPiece;
import io.tensorfs.sharding.operator.ReadsHeld;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read through a sink that stalls half way, on one node with one store and a cache far smaller than the
 * file: while the sink takes nothing, the store is not read (the bytes read from disk stop, under a bound
 * of the chunks the read may keep in flight) and the pages the read holds stay under
 * {@code read-ahead + 1} chunks; once the sink resumes, every byte arrives, checked against the
 * generator, and the read holds nothing at its end.
 *
 * <p>Runs in a JVM of its own with {@code -XX:MaxDirectMemorySize=160m} (the surefire execution
 * {@code stalled-read} in this module's pom), and is skipped in any other. Its size is
 * {@code -Dtensorfs.stalled-read.bytes} (default 256 MiB in CI; the full run is
 * {@code -Dtensorfs.stalled-read.bytes=4g}).
 */
class StalledReadTest {
  private static final int CHUNK_BYTES = 8 << 20;
  private static final int READ_AHEAD = 4;
  private static final long DIRECT_LIMIT = 160L << 20;
  private static final long SIZE = sizeOf(System.getProperty("tensorfs.stalled-read.bytes", "256m"));

  @TempDir static Path d0;

  private static ActorTestKit testKit;
  private static NodeOperator files;

  @BeforeAll
  static void start() {
    assumeTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:MaxDirectMemorySize=160m"),
        "runs only under the direct-memory limit of the stalled-read execution");
    testKit = ActorTestKit.create("stalled", ConfigFactory.parseString("tensorfs.operator.read-ahead = " + READ_AHEAD)
        .withFallback(ShardedMetadataTest.clusterConfig()));
    ShardedMetadata metadata = ShardedMetadataTest.joinAlone(testKit);
    StoreSettings settings = StoreSettings.defaults(List.of(d0)).withReservedBytes(0);
    Stores stores = new Stores(settings, testKit.system(), r -> {});
    Map<String, ActorRef<StoreActor.Command>> actors = new LinkedHashMap<>();
    for (ChunkStore s : stores.all()) {
      actors.put(s.id(), testKit.spawn(StoreActor.create(s, stores.leases(), settings), "store-" + s.id()));
    }
    CacheSettings cacheSettings = CacheSettings.small(32); // 64 MiB of 2 MiB pages: 8 chunks of the file
    ChunkCache cache = new ChunkCache(PagePool.allocate(cacheSettings.poolSettings()), cacheSettings, stores::byId,
        c -> {});
    files = new NodeOperator(testKit.system(), metadata, LocalNode.of("node-a", stores, actors), cache,
        OperatorSettings.fromConfig(testKit.system().settings().config()));
  }

  @AfterAll
  static void stop() {
    if (testKit != null) testKit.shutdownTestKit();
  }

  @Test
  void shouldStopReadingTheStoreWhileTheSinkStallsAndDeliverEveryByteOnceItResumes() throws Exception {
    TfsPath path = TfsPath.parse("/t/stalled/big");
    await(files.put(path, Policy.PERSISTENT, CHUNK_BYTES, Precondition.NONE, OptionalLong.of(SIZE), SIZE,
        generated(SIZE)), Duration.ofMinutes(30));
    FileVersion v = await(files.stat(path));
    long chunks = (SIZE + CHUNK_BYTES - 1) / CHUNK_BYTES;
    long stallAt = chunks / 2;

    long readBefore = diskRead();
    CompletableFuture<Void> resume = new CompletableFuture<>();
    CompletableFuture<Void> stalled = new CompletableFuture<>();
    AtomicLong checked = new AtomicLong();
    AtomicLong taken = new AtomicLong();
    long startNanos = System.nanoTime();
    FileRead read = await(files.openRead(v, 0, SIZE));
    CompletionStage<Long> done = read.pieces()
        .mapAsync(1, piece -> {
          if (taken.getAndIncrement() != stallAt) return CompletableFuture.completedFuture(piece);
          stalled.complete(null);
          return resume.thenApply(x -> piece);
        })
        .map(piece -> check(piece, checked))
        .runWith(Sink.fold(0L, Long::sum), testKit.system());

    try {
      assertStopped(stalled, readBefore, stallAt, chunks, checked);
    } finally {
      resume.complete(null);
    }
    long moved = await(done, Duration.ofMinutes(30));
    double seconds = (System.nanoTime() - startNanos) / 1e9 - 4;
    assertEquals(SIZE, moved);
    assertEquals(SIZE, checked.get());
    Awaits.until(() -> ReadsHeld.bytes() == 0, Duration.ofSeconds(10), "every piece released");
    System.out.printf("read %d MiB byte-exact, %.2f GB/s without the stall%n", SIZE >> 20, SIZE / seconds / 1e9);
  }

  /** Once the sink stalled: the store reads stop under their bound, and the read holds at most its read-ahead. */
  private static void assertStopped(CompletableFuture<Void> stalled, long readBefore, long stallAt, long chunks,
      AtomicLong checked) throws InterruptedException {
    await(stalled);
    TimeUnit.SECONDS.sleep(2); // the loads in flight when the sink stopped end
    long readAtStall = diskRead() - readBefore;
    long heldAtStall = ReadsHeld.bytes();
    TimeUnit.SECONDS.sleep(2);
    long readLater = diskRead() - readBefore;
    long direct = directUsed();
    long bound = (stallAt + 1 + READ_AHEAD) * (long) CHUNK_BYTES;
    System.out.printf("stalled at chunk %d of %d: disk read %d MiB (bound %d MiB), held %d MiB (bound %d MiB), "
            + "direct memory %d MiB (limit %d MiB)%n", stallAt, chunks, readAtStall >> 20, bound >> 20,
        heldAtStall >> 20, ((READ_AHEAD + 1L) * CHUNK_BYTES) >> 20, direct >> 20, DIRECT_LIMIT >> 20);
    assertEquals(readAtStall, readLater, "the store is not read while the sink stalls");
    assertTrue(readAtStall <= bound, "disk read while stalled: " + readAtStall + " > " + bound);
    assertTrue(heldAtStall <= (READ_AHEAD + 1L) * CHUNK_BYTES, "held while stalled: " + heldAtStall);
    assertTrue(checked.get() <= (stallAt + 1) * CHUNK_BYTES, "the sink took nothing past the stall");
  }

  @Test
  void shouldReleaseEveryPieceWhenTheSinkCancelsMidRead() {
    TfsPath path = TfsPath.parse("/t/stalled/cancel");
    long size = 12L * CHUNK_BYTES;
    await(files.put(path, Policy.PERSISTENT, CHUNK_BYTES, Precondition.NONE, OptionalLong.of(size), size,
        generated(size)));
    FileVersion v = await(files.stat(path));
    FileRead read = await(files.openRead(v, 0, size));
    AtomicLong checked = new AtomicLong();
    long got = await(read.pieces().take(3).map(piece -> check(piece, checked)).runWith(Sink.fold(0L, Long::sum),
        testKit.system()));
    assertEquals(3L * CHUNK_BYTES, got);
    Awaits.until(() -> ReadsHeld.bytes() == 0, Duration.ofSeconds(10), "the pieces fetched ahead released");
  }

  /** Checks a piece against the generator at the position the sink reached, releases it, returns its bytes. */
  private static long check(ReadPiece piece, AtomicLong at) {
    try {
      long n = 0;
      for (ByteBuffer b : piece.buffers()) {
        ByteBuffer view = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long pos = at.get() + n;
        while (view.remaining() >= 8) {
          long expected = word(pos >> 3);
          long actual = view.getLong();
          if (actual != expected) throw new AssertionError("wrong bytes at " + pos);
          pos += 8;
        }
        n += b.remaining();
      }
      at.addAndGet(n);
      return n;
    } finally {
      piece.release();
    }
  }

  /** {@code size} bytes (a multiple of 8) of the generator, in 1 MiB elements. */
  private static Source<ByteString, ?> generated(long size) {
    int step = 1 << 20;
    return Source.unfold(0L, pos -> {
      if (pos >= size) return Optional.empty();
      int n = (int) Math.min(step, size - pos);
      ByteBuffer out = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
      for (long w = pos >> 3; out.hasRemaining(); w++) out.putLong(word(w));
      return Optional.of(Pair.create(pos + n, ByteString.fromArrayUnsafe(out.array())));
    });
  }

  /** The file's 8-byte word number {@code w}: a mix of its index (SplitMix64's finalizer). */
  private static long word(long w) {
    long z = w * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long diskRead() {
    return Readings.counterTotal("tensorfs.store.read");
  }

  private static long directUsed() {
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) return pool.getMemoryUsed();
    }
    return -1;
  }

  private static long sizeOf(String text) {
    long bytes = ConfigFactory.parseString("b = " + text).getBytes("b");
    if (bytes % 8 != 0) throw new IllegalArgumentException("tensorfs.stalled-read.bytes must be a multiple of 8");
    return bytes;
  }
}
