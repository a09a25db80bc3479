package io.tensorfs.sharding.replication;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.internal.NativeMemory;
import io.tensorfs.core.metrics.Readings;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.DiskTurn;
import io.tensorfs.store.FileChunkStore;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.transport.PageRun;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the node serves the transport to send from: a resident chunk's cache pages lent without a copy
 * and held (with the file's read lease) until the last run is released; a chunk that is not resident
 * streamed from its store.
 */
class NodeChunkServiceTest {
  private static final int CHUNK_BYTES = 5 << 20;
  private static final TfsPath OWNER = TfsPath.parse("/tenant/data/f");
  private static ActorSystem<Void> system;

  @TempDir Path dir;
  private final ExecutorService io = Executors.newFixedThreadPool(2);
  private final ReadLeases leases = new ReadLeases();
  private final ChunkId chunk = new ChunkId(new FileId("00112233445566778899aabbccddeeff"), 0);
  private final byte[] bytes = new byte[CHUNK_BYTES];
  private ChunkStore store;
  private PagePool pool;
  private ChunkCache cache;
  private NodeChunkService service;

  @BeforeAll
  static void startSystem() {
    system = ActorSystem.create(Behaviors.empty(), "node-chunk-service-test");
  }

  @AfterAll
  static void stopSystem() {
    ActorTestKit.shutdown(system, Duration.ofSeconds(10));
  }

  @BeforeEach
  void start() {
    new Random(3).nextBytes(bytes);
    store = new FileChunkStore("d0", dir, StoreSettings.defaults(List.of(dir)).withReservedBytes(0), io);
    ChunkWriter w = store.openWriter(chunk, OWNER, false);
    for (int at = 0; at < bytes.length; at += 1 << 20) await(w.append(ByteString.fromArray(bytes, at, Math.min(1 << 20, bytes.length - at))));
    await(w.finish());
    CacheSettings settings = CacheSettings.small(8);
    pool = PagePool.allocate(settings.poolSettings());
    cache = new ChunkCache(pool, settings, id -> store, c -> {});
    // Segments of 2 MiB, 4 reads in flight: a chunk of 5 MiB is read in three segments, all at once.
    service = new NodeChunkService(List.of(store), cache, null, leases, new ServeSettings(2 << 20, 4));
  }

  @AfterEach
  void stop() {
    cache.close();
    io.shutdownNow();
  }

  @Test
  void shouldLendResidentPagesUntilTheLastRunIsReleased() {
    await(cache.load(chunk, CHUNK_BYTES, OWNER, List.of(store))).release();
    int freeBefore = pool.freePages();

    List<PageRun> runs = await(service.readPages(chunk, 1000, CHUNK_BYTES).runWith(Sink.seq(), system));

    ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES - 1000);
    for (PageRun run : runs) {
      ByteBuffer b = run.bytes();
      assertTrue(b.isDirect() && b.isReadOnly(), "a run is a read-only view of a page");
      all.put(b.duplicate());
    }
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 1000, CHUNK_BYTES), all.array());
    flipPool();
    ByteBuffer seen = ByteBuffer.allocate(CHUNK_BYTES - 1000);
    for (PageRun run : runs) seen.put(run.bytes().duplicate());
    for (int i = 0; i < seen.capacity(); i++) {
      assertEquals((byte) ~bytes[1000 + i], seen.get(i), "a run's bytes are the cache's own pages, not a copy (byte " + i + ")");
    }
    assertTrue(leases.held(chunk.fileId()), "the read lease is held while runs are lent, after the stream ended");

    for (PageRun run : runs.subList(1, runs.size())) run.release();
    assertTrue(leases.held(chunk.fileId()), "one run is still lent");
    runs.get(0).release();
    runs.get(0).release(); // a second release of one run gives back nothing more
    assertFalse(leases.held(chunk.fileId()), "the lease goes with the last run");
    assertEquals(freeBefore, pool.freePages());
  }

  @Test
  void shouldReadOnlyTheBlocksASmallFetchAsksFromTheStore() {
    List<Integer> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    ChunkStore counted = watched((method, args) -> {
      if (method.startsWith("read")) calls.add(method);
      if (method.equals("readInto")) asked.add(((ByteBuffer) args[2]).remaining());
      return null;
    });
    NodeChunkService small = new NodeChunkService(List.of(counted), cache, null, leases, new ServeSettings(4 << 20, 1));

    List<PageRun> runs = await(small.readPages(chunk, 0, 100_000).runWith(Sink.seq(), system));

    ByteBuffer all = ByteBuffer.allocate(100_000);
    for (PageRun run : runs) {
      all.put(run.bytes().duplicate());
      run.release();
    }
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 0, 100_000), all.array());
    int block = store.blockBytes();
    assertEquals(List.of((100_000 + block - 1) / block * block), asked,
        "one read of the blocks under the range, not a whole 4 MiB buffer");
    assertEquals(List.of("readInto"), calls, "the node's one store is read without a probe first");
  }

  /**
   * A node's stores in front of its disk (its KV blocks in memory) do not hold file chunks: a fetch tries each
   * in turn with its first read and goes on with the one that answers, asking no store beforehand whether it
   * holds the chunk (that question waited in a busy disk's queue as long as a read).
   */
  @Test
  void shouldReadFromTheStoreThatHoldsTheChunkWithoutAskingItFirst() {
    List<String> frontCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> diskCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
    ChunkStore front = (ChunkStore) java.lang.reflect.Proxy.newProxyInstance(ChunkStore.class.getClassLoader(),
        new Class<?>[] {ChunkStore.class}, (proxy, method, args) -> {
          frontCalls.add(method.getName());
          return switch (method.getName()) {
            case "readInto", "read" -> java.util.concurrent.CompletableFuture.failedFuture(
                new TfsException(ErrorCode.NOT_FOUND, "no KV block " + args[0]));
            case "blockBytes" -> 0;
            case "id" -> "kv";
            default -> throw new UnsupportedOperationException(method.getName());
          };
        });
    ChunkStore disk = watched((method, args) -> {
      if (method.startsWith("read")) diskCalls.add(method);
      return null;
    });
    NodeChunkService two = new NodeChunkService(List.of(front, disk), cache, null, leases, new ServeSettings(2 << 20, 4));
    int free = two.freeServeSlots();

    List<PageRun> runs = await(two.readPages(chunk, 0, CHUNK_BYTES).runWith(Sink.seq(), system));
    ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES);
    for (PageRun run : runs) {
      all.put(run.bytes().duplicate());
      run.release();
    }
    assertArrayEquals(bytes, all.array());
    assertEquals(List.of("readInto", "readInto", "readInto"), diskCalls, "one read per segment of 2 MiB, no probe first");
    assertEquals(1, frontCalls.stream().filter(m -> m.startsWith("read")).count(), "the front store is asked once, by the first read");

    ChunkId absent = new ChunkId(chunk.fileId(), 7);
    Throwable failed = Awaits.failure(two.readPages(absent, 0, 4096).runWith(Sink.seq(), system));
    assertEquals(ErrorCode.NOT_FOUND, TfsException.codeOf(failed), failed.toString());
    assertTrue(failed.getMessage().contains("any of this node's 2 stores"), failed.getMessage());
    Awaits.until(() -> two.freeServeSlots() == free, Duration.ofSeconds(10), "every serve buffer is back");
  }

  /**
   * Reads for fetches take turns at a disk store: at most {@code reads-per-store} at the disk at once over all
   * fetches, and one more under way beside them (opening its replica, so it is ready when the disk frees);
   * the rest start in the order asked as running ones end, and a read waiting to start holds no serve buffer.
   * A read leaves the disk before its bytes are checked, and the next one is at the disk meanwhile.
   */
  @Test
  void shouldKeepReadsPerStoreAtTheDiskAndTheNextOneReadyInTheOrderAsked() throws Exception {
    List<Long> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Long> atTheDisk = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<java.util.concurrent.CompletableFuture<Void>> diskDone = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<java.util.concurrent.CompletableFuture<Void>> checked = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger mostInside = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ExecutorService storeThreads = java.util.concurrent.Executors.newCachedThreadPool();
    ChunkStore gated = watched((method, args) -> {
      if (!method.equals("readInto")) return null;
      long at = (Long) args[1];
      java.util.concurrent.CompletableFuture<Void> disk = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<Void> check = new java.util.concurrent.CompletableFuture<>();
      synchronized (asked) { // the lists of gates are indexed as asked
        asked.add(at);
        diskDone.add(disk);
        checked.add(check);
      }
      DiskTurn turn = (DiskTurn) args[3];
      return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          turn.enter();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
        atTheDisk.add(at);
        disk.join();
        inside.decrementAndGet();
        turn.leave();
        check.join();
        return store.readInto((ChunkId) args[0], at, (ByteBuffer) args[2]).toCompletableFuture().join();
      }, storeThreads);
    });
    try {
      NodeChunkService oneAtATime = new NodeChunkService(List.of(gated), cache, null, leases, new ServeSettings(2 << 20, 4, 1));
      int free = oneAtATime.freeServeSlots();

      var whole = oneAtATime.readPages(chunk, 0, CHUNK_BYTES).runWith(Sink.seq(), system); // 3 segments
      Awaits.until(() -> asked.size() == 1, Duration.ofSeconds(10), "the whole read's first segment starts");
      var tail = oneAtATime.readPages(chunk, 4 << 20, 1 << 20).runWith(Sink.seq(), system);
      Awaits.until(() -> asked.size() == 2, Duration.ofSeconds(10), "the tail's read starts beside it");
      var middle = oneAtATime.readPages(chunk, 2 << 20, 1 << 20).runWith(Sink.seq(), system);
      Awaits.until(() -> atTheDisk.size() == 1, Duration.ofSeconds(10), "the first read is at the disk");
      Thread.sleep(100); // time for a wrong third start or a second read at the disk
      assertEquals(List.of(0L, 4L << 20), asked, "two under way: the middle read waits for a start");
      assertEquals(List.of(0L), atTheDisk, "one at the disk; the tail's read is ready beside it");
      assertEquals(free - 2, oneAtATime.freeServeSlots(), "the waiting read holds no buffer");

      diskDone.get(0).complete(null);
      Awaits.until(() -> atTheDisk.size() == 2, Duration.ofSeconds(10), "the tail's read takes the disk as the first leaves it");
      assertEquals(2, asked.size(), "the first read, being checked, is still under way");
      checked.get(0).complete(null);
      Awaits.until(() -> asked.size() == 3, Duration.ofSeconds(10), "the middle read starts as the first ends");
      for (int i = 1; i < 5; i++) {
        // One read ends at a time, once the one before it has started its successor: two ending at once
        // would start their successors on two threads, in either order.
        int started = Math.min(i + 2, 5);
        Awaits.until(() -> asked.size() == started, Duration.ofSeconds(10), started + " reads started");
        diskDone.get(i).complete(null);
        checked.get(i).complete(null);
      }
      assertEquals(List.of(0L, 4L << 20, 2L << 20, 2L << 20, 4L << 20), asked,
          "the whole read's first segment, the tail's and the middle's reads (asked while it ran), then the whole read's next two");
      assertEquals(1, mostInside.get(), "never two reads at the disk at once");

      ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES);
      for (PageRun run : await(whole)) {
        all.put(run.bytes().duplicate());
        run.release();
      }
      assertArrayEquals(bytes, all.array());
      for (PageRun run : await(tail)) {
        assertEquals(ByteBuffer.wrap(bytes, 4 << 20, 1 << 20), run.bytes());
        run.release();
      }
      for (PageRun run : await(middle)) {
        assertEquals(ByteBuffer.wrap(bytes, 2 << 20, 1 << 20), run.bytes());
        run.release();
      }
      Awaits.until(() -> oneAtATime.freeServeSlots() == free, Duration.ofSeconds(10), "every serve buffer is back");
    } finally {
      diskDone.forEach(g -> g.complete(null));
      checked.forEach(g -> g.complete(null));
      storeThreads.shutdownNow();
    }
  }

  @Test
  void shouldFailAFetchOfAChunkItsStoreDoesNotHoldAsNotFound() {
    ChunkId absent = new ChunkId(chunk.fileId(), 7);
    Throwable failed = Awaits.failure(service.readPages(absent, 0, 4096).runWith(Sink.seq(), system));
    assertEquals(ErrorCode.NOT_FOUND, TfsException.codeOf(failed), failed.toString());
    assertFalse(leases.held(chunk.fileId()), "the lease ends with the failed stream");
  }

  /**
   * Reads reach the disk in the order they started; a read that ends without asking the disk (its replica is
   * not there) gives up its place, so the reads after it still get the disk, one at a time.
   */
  @Test
  void shouldGiveTheDiskToTheNextReadWhenOneEndsWithoutAskingIt() {
    NodeChunkService oneAtATime = new NodeChunkService(List.of(store), cache, null, leases, new ServeSettings(2 << 20, 4, 1));
    for (int i = 0; i < 3; i++) {
      ChunkId absent = new ChunkId(chunk.fileId(), 7 + i);
      Throwable failed = Awaits.failure(oneAtATime.readPages(absent, 0, 4096).runWith(Sink.seq(), system));
      assertEquals(ErrorCode.NOT_FOUND, TfsException.codeOf(failed), failed.toString());
    }
    ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES);
    for (PageRun run : await(oneAtATime.readPages(chunk, 0, CHUNK_BYTES).runWith(Sink.seq(), system))) {
      all.put(run.bytes().duplicate());
      run.release();
    }
    assertArrayEquals(bytes, all.array(), "read whole after three reads that gave up their turns");
  }

  @Test
  void shouldStreamFromTheStoreWhenTheChunkIsNotResident() {
    List<PageRun> runs = await(service.readPages(chunk, 0, CHUNK_BYTES).runWith(Sink.seq(), system));

    ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES);
    for (PageRun run : runs) {
      all.put(run.bytes().duplicate());
      run.release();
    }
    assertArrayEquals(bytes, all.array());
    assertFalse(leases.held(chunk.fileId()), "the lease ends with the stream");
  }

  /**
   * A stream from the store cancelled after its first run, with the reads after it in flight or done and not
   * yet taken, gives every buffer back and ends its lease.
   */
  @Test
  void shouldGiveBackEveryBufferOfReadsInFlightWhenAStreamFromTheStoreIsCancelled() {
    int free = service.freeServeSlots();
    assertTrue(free > 0, "the service has a serve region");

    List<PageRun> first = await(service.readPages(chunk, 0, CHUNK_BYTES).take(1).runWith(Sink.seq(), system));

    assertEquals(1, first.size());
    ByteBuffer run = first.get(0).bytes();
    byte[] got = new byte[run.remaining()];
    run.duplicate().get(got);
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 0, got.length), got);
    first.get(0).release();
    Awaits.until(() -> service.freeServeSlots() == free, Duration.ofSeconds(10),
        "every serve buffer back after the stream was cancelled");
    assertFalse(leases.held(chunk.fileId()), "the lease ends with the stream");
  }

  /**
   * A chunk not resident is read from the store into direct buffers (no heap copy), in segments, several
   * at once: a range from an unaligned offset, asked past the chunk's end, comes back exact and ends at
   * the chunk's end.
   */
  @Test
  void shouldReadARangeFromTheStoreIntoDirectBuffersWhenTheChunkIsNotResident() {
    List<PageRun> runs = await(service.readPages(chunk, 1000, 3L * CHUNK_BYTES).runWith(Sink.seq(), system));

    ByteBuffer all = ByteBuffer.allocate(CHUNK_BYTES - 1000);
    for (PageRun run : runs) {
      assertTrue(run.bytes().isDirect(), "a run read from the store is direct memory");
      assertTrue(inServingRegion(run.bytes()), "a run read from the store lies in the region a transport sends from in place");
      all.put(run.bytes().duplicate());
      run.release();
    }
    assertEquals(CHUNK_BYTES - 1000, all.position(), "the range ends at the chunk's end");
    assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 1000, CHUNK_BYTES), all.array());
  }

  /**
   * A holder's metrics of a read from disk: one read time per segment, and one lending time per run, which
   * lasts until the transport released it (here: held for 50 ms before release).
   */
  @Test
  void shouldTimeEachSegmentsReadAndHowLongItsRunStaysLent() throws InterruptedException {
    long reads = Readings.histogramCount("tensorfs.replication.serve-read-latency");
    long lent = Readings.histogramCount("tensorfs.replication.serve-lent");
    long lentNanos = Readings.histogramSum("tensorfs.replication.serve-lent");

    List<PageRun> runs = await(service.readPages(chunk, 0, CHUNK_BYTES).runWith(Sink.seq(), system));
    assertEquals(3, runs.size(), "5 MiB in segments of 2 MiB");
    assertEquals(reads + 3, Readings.histogramCount("tensorfs.replication.serve-read-latency"), "one read timed per segment");
    assertEquals(lent, Readings.histogramCount("tensorfs.replication.serve-lent"), "no run is timed before it is released");
    TimeUnit.MILLISECONDS.sleep(50); // the runs stay lent, as while a slow transport sends them
    for (PageRun run : runs) run.release();
    assertEquals(lent + 3, Readings.histogramCount("tensorfs.replication.serve-lent"), "one lending timed per run");
    assertTrue(Readings.histogramSum("tensorfs.replication.serve-lent") - lentNanos >= 3 * 50_000_000L,
        "each run was lent for at least the 50 ms it was held");
  }

  /**
   * {@link #store} behind a proxy that shows every call to {@code seen} first (by method name); a call for
   * which {@code seen} returns a value is answered with it, the others go on to the store.
   */
  private ChunkStore watched(java.util.function.BiFunction<String, Object[], Object> seen) {
    return (ChunkStore) java.lang.reflect.Proxy.newProxyInstance(ChunkStore.class.getClassLoader(),
        new Class<?>[] {ChunkStore.class}, (proxy, method, args) -> {
          Object answer = seen.apply(method.getName(), args);
          if (answer != null) return answer;
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private boolean inServingRegion(ByteBuffer run) {
    long at = NativeMemory.address(run);
    for (ByteBuffer r : service.servingRegions()) {
      long start = NativeMemory.address(r);
      if (at >= start && at + run.remaining() <= start + r.capacity()) return true;
    }
    return false;
  }

  /** Inverts every byte of the cache's memory: what views it shows the change, a copy would not. */
  private void flipPool() {
    for (ByteBuffer region : pool.regions()) {
      ByteBuffer r = region.duplicate().clear();
      for (int i = 0; i < r.capacity(); i++) r.put(i, (byte) ~r.get(i));
    }
  }
}
