package io.tensorfs.store.cache;

import static io.tensorfs.core.testing.Awaits.await;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.FileChunkStore;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.WrittenReplica;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.apache.pekko.util.ByteString;

/**
 * A cache of 16 pages of 2 MiB over two real stores, d0 and d1, in a temporary folder; records the
 * chunks it reports as dropped dirty.
 */
final class CacheFixture implements AutoCloseable {
  static final int PAGE = 2 << 20;
  static final int PAGES = 16;
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  static final TfsPath OWNER = TfsPath.parse("/tenant/kv/blocks");

  final ExecutorService io = Executors.newFixedThreadPool(4);
  final Map<String, TestStore> stores = new ConcurrentHashMap<>();
  final List<ChunkId> droppedDirty = new CopyOnWriteArrayList<>();
  final PagePool pool;
  final ChunkCache cache;

  private final Path dir;

  CacheFixture(Path dir, CacheSettings settings) {
    this.dir = dir;
    for (String id : List.of("d0", "d1")) {
      Path storeDir = dir.resolve(id);
      StoreSettings s = StoreSettings.defaults(List.of(storeDir)).withReservedBytes(0);
      stores.put(id, new TestStore(new FileChunkStore(id, storeDir, s, io)));
    }
    pool = PagePool.allocate(settings.poolSettings());
    cache = new ChunkCache(pool, settings, stores::get, droppedDirty::add);
  }

  CacheFixture(Path dir) {
    this(dir, CacheSettings.small(PAGES));
  }

  TestStore store(String id) {
    return stores.get(id);
  }

  /** Writes a replica of {@code bytes} to the named store. */
  void writeReplica(String storeId, ChunkId chunk, byte[] bytes) {
    ChunkWriter w = store(storeId).real.openWriter(chunk, OWNER, false);
    for (int at = 0; at < bytes.length; at += 1 << 20) {
      await(w.append(ByteString.fromArray(bytes, at, Math.min(1 << 20, bytes.length - at))));
    }
    await(w.finish());
  }

  CachedChunk load(ChunkId chunk, int length, String... storeIds) {
    return await(cache.load(chunk, length, OWNER, replicas(storeIds)));
  }

  /**
   * The named stores, in order, as the replicas a load reads from; an id that is neither d0 nor d1
   * names an empty store of its own (outside the cache's stores), which holds no replica.
   */
  List<ChunkStore> replicas(String... storeIds) {
    List<ChunkStore> out = new ArrayList<>();
    for (String id : storeIds) {
      ChunkStore known = stores.get(id);
      if (known == null) {
        Path storeDir = dir.resolve("elsewhere").resolve(id);
        known = new FileChunkStore(id, storeDir, StoreSettings.defaults(List.of(storeDir)).withReservedBytes(0), io);
      }
      out.add(known);
    }
    return out;
  }

  WrittenReplica writeBack(ChunkId chunk, byte[] bytes, String storeId) {
    ChunkWriter w = cache.writeBack(chunk, OWNER, storeId);
    for (int at = 0; at < bytes.length; at += 700_000) {
      await(w.append(ByteString.fromArray(bytes, at, Math.min(700_000, bytes.length - at))));
    }
    return await(w.finish());
  }

  /** Pages the cache holds now. */
  long heldPages() {
    return cache.stats().usedBytes() / PAGE;
  }

  @Override
  public void close() {
    cache.close();
    io.shutdownNow();
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The bytes of a range of a cached chunk, gathered from its slices. */
  static byte[] bytesOf(CachedChunk chunk, long offset, int length) {
    byte[] out = new byte[length];
    int at = 0;
    for (ByteBuffer slice : chunk.slices(offset, length)) {
      int n = slice.remaining();
      slice.get(out, at, n);
      at += n;
    }
    if (at != length) throw new AssertionError("slices hold " + at + " bytes, not " + length);
    return out;
  }

  /** The TfsException a stage fails with. */
  static TfsException failure(CompletionStage<?> stage) {
    Throwable cause = Awaits.failure(stage, TIMEOUT);
    if (cause instanceof TfsException t) return t;
    throw new AssertionError("failed with " + cause, cause);
  }

  /** Waits until {@code condition} holds, failing after the timeout. */
  static void awaitCondition(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }
}
