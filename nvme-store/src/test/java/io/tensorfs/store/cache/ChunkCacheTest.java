package io.tensorfs.store.cache;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.store.cache.CacheFixture.PAGE;
import static io.tensorfs.store.cache.CacheFixture.OWNER;
import static io.tensorfs.store.cache.CacheFixture.PAGES;
import static io.tensorfs.store.cache.CacheFixture.awaitCondition;
import static io.tensorfs.store.cache.CacheFixture.bytesOf;
import static io.tensorfs.store.cache.CacheFixture.failure;
import static io.tensorfs.store.cache.CacheFixture.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkCacheTest {
  /** Three pages: two full and a partial one. */
  private static final int THREE_PAGES = 2 * PAGE + 12_345;

  @TempDir Path dir;
  private CacheFixture f;

  @BeforeEach
  void start() {
    f = new CacheFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /** A file of {@code chunks} chunks of {@code length} bytes each, written to d0. */
  private List<byte[]> storedFile(FileId file, int chunks, int length) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      byte[] bytes = randomBytes(length, file.hashCode() * 31L + i);
      f.writeReplica("d0", new ChunkId(file, i), bytes);
      out.add(bytes);
    }
    return out;
  }

  private void loadAndRelease(FileId file, int chunks, int length) {
    for (int i = 0; i < chunks; i++) f.load(new ChunkId(file, i), length, "d0").release();
  }

  @Test
  void shouldReadThroughOnMissAndServeExactSlicesOnHit() {
    FileId file = FileId.random();
    byte[] bytes = storedFile(file, 1, THREE_PAGES).get(0);
    ChunkId chunk = new ChunkId(file, 0);

    CachedChunk first = f.load(chunk, THREE_PAGES, "d0");
    assertEquals(chunk, first.id());
    assertEquals(THREE_PAGES, first.length());
    assertArrayEquals(bytes, bytesOf(first, 0, THREE_PAGES));
    assertEquals(1, f.cache.stats().misses());
    assertEquals(0, f.cache.stats().hits());

    CachedChunk hit = f.cache.lookup(chunk).orElseThrow();
    CachedChunk again = f.load(chunk, THREE_PAGES, "d0");
    assertEquals(2, f.cache.stats().hits());
    assertEquals(1, f.cache.stats().misses());
    assertEquals(3, f.store("d0").readIntoCalls.get(), "one read of three pages");

    List<ByteBuffer> slices = hit.slices(PAGE - 10, PAGE + 20);
    assertEquals(List.of(10, PAGE, 10), slices.stream().map(ByteBuffer::remaining).toList(), "no copy: one slice per page");
    assertTrue(slices.stream().allMatch(b -> b.isDirect() && b.isReadOnly()));
    assertArrayEquals(Arrays.copyOfRange(bytes, PAGE - 10, 2 * PAGE + 10), bytesOf(again, PAGE - 10, PAGE + 20));
    assertArrayEquals(Arrays.copyOfRange(bytes, THREE_PAGES - 5, THREE_PAGES), bytesOf(hit, THREE_PAGES - 5, 5));
    assertThrows(IllegalArgumentException.class, () -> hit.slices(THREE_PAGES - 5, 6));

    assertTrue(f.cache.contains(chunk));
    assertEquals(Set.of(0), f.cache.residentChunks(file));
    CacheStats stats = f.cache.stats();
    assertEquals(3L * PAGE, stats.usedBytes());
    assertEquals(THREE_PAGES, stats.residentBytes());
    assertEquals(1, stats.files());
    assertEquals((long) PAGES * PAGE, stats.capacityBytes());
    assertEquals(PAGE, stats.pageSizeBytes());
    assertEquals("regular", stats.memoryKind());
    first.release();
    hit.release();
    again.release();
    assertThrows(IllegalStateException.class, first::release);
    assertThrows(IllegalStateException.class, () -> first.slices(0, 1));
    assertEquals(PAGES - 3, f.pool.freePages(), "the cache still holds its pages");
  }

  @Test
  void shouldNotCountLookupOfAbsentChunk() {
    assertTrue(f.cache.lookup(new ChunkId(FileId.random(), 0)).isEmpty());
    assertEquals(0, f.cache.stats().hits());
    assertEquals(0, f.cache.stats().misses());
  }

  @Test
  void shouldShareOneReadWhenLoadsOfOneChunkRunConcurrently() {
    FileId file = FileId.random();
    byte[] bytes = storedFile(file, 1, THREE_PAGES).get(0);
    ChunkId chunk = new ChunkId(file, 0);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    f.store("d0").readGate = gate;
    List<CompletionStage<CachedChunk>> loads = new ArrayList<>();
    for (int i = 0; i < 10; i++) loads.add(f.cache.load(chunk, THREE_PAGES, OWNER, f.replicas("d0")));
    gate.complete(null);
    for (CompletionStage<CachedChunk> load : loads) {
      CachedChunk c = await(load);
      assertArrayEquals(bytes, bytesOf(c, 0, THREE_PAGES));
      c.release();
    }
    assertEquals(3, f.store("d0").readIntoCalls.get(), "one read per page, shared by all ten loads");
    assertEquals(3, f.heldPages());
  }

  @Test
  void shouldLendAPageOutsideItsFiguresEvictingAWholeFileWhenNoneIsFree() {
    FileId a = FileId.random();
    storedFile(a, 1, PAGES * PAGE);
    loadAndRelease(a, 1, PAGES * PAGE); // every page is the cache's
    io.tensorfs.core.memory.Page lent = f.cache.lendPage();
    assertTrue(lent != null, "a page, by evicting the file");
    assertEquals(Set.of(), f.cache.residentChunks(a));
    assertEquals(0, f.heldPages(), "a lent page is not the cache's");
    lent.release();
    assertEquals(PAGES, f.cache.pool().freePages(), "its release gives it back to the pool");
  }

  @Test
  void shouldEvictLeastRecentlyUsedWholeFileWhenFull() {
    int sixMib = 3 * PAGE;
    FileId a = FileId.random();
    FileId b = FileId.random();
    FileId c = FileId.random();
    storedFile(a, 2, sixMib);
    storedFile(b, 2, sixMib);
    storedFile(c, 2, sixMib);
    loadAndRelease(a, 1, sixMib);
    loadAndRelease(b, 1, sixMib);
    f.load(new ChunkId(a, 1), sixMib, "d0").release(); // A is now both older and newer than B
    f.load(new ChunkId(b, 1), sixMib, "d0").release();
    f.cache.lookup(new ChunkId(a, 0)).orElseThrow().release(); // touch A: B is least recent

    loadAndRelease(c, 2, sixMib); // 12 of 16 pages held: C's second chunk needs room

    assertEquals(Set.of(0, 1), f.cache.residentChunks(a));
    assertEquals(Set.of(), f.cache.residentChunks(b), "all of B goes, not just one chunk");
    assertEquals(Set.of(0, 1), f.cache.residentChunks(c));
    assertEquals(1, f.cache.stats().evictions());
    assertEquals(2, f.cache.stats().files());
    assertEquals(12, f.heldPages());
  }

  @Test
  void shouldRecycleTheChunksASequentialReadPassedWhenItsFileIsLargerThanTheCache() {
    int fourPages = 4 * PAGE;
    FileId file = FileId.random();
    List<byte[]> bytes = storedFile(file, 6, fourPages);
    CachedChunk c0 = f.load(new ChunkId(file, 0), fourPages, "d0");
    CachedChunk c1 = f.load(new ChunkId(file, 1), fourPages, "d0");
    c0.release();
    CachedChunk c2 = f.load(new ChunkId(file, 2), fourPages, "d0");
    CachedChunk c3 = f.load(new ChunkId(file, 3), fourPages, "d0"); // 16 of 16 pages; the file is held
    c2.release();

    CachedChunk c4 = f.load(new ChunkId(file, 4), fourPages, "d0");
    assertArrayEquals(bytes.get(4), bytesOf(c4, 0, fourPages));
    assertEquals(Set.of(1, 2, 3, 4), f.cache.residentChunks(file), "chunk 0, passed and free, made the room");

    CachedChunk c5 = f.load(new ChunkId(file, 5), fourPages, "d0");
    assertArrayEquals(bytes.get(5), bytesOf(c5, 0, fourPages));
    assertEquals(Set.of(1, 3, 4, 5), f.cache.residentChunks(file), "chunk 1 is held: chunk 2 went");
    assertArrayEquals(bytes.get(1), bytesOf(c1, 0, fourPages), "a held chunk keeps its bytes");
    assertEquals(16, f.heldPages());
    for (CachedChunk c : List.of(c1, c3, c4, c5)) c.release();
  }

  @Test
  void shouldNotRecycleChunksOfAPinnedFileOrAheadOfTheOneLoading() {
    int fourPages = 4 * PAGE;
    FileId file = FileId.random();
    storedFile(file, 5, fourPages);
    f.cache.pin(file);
    CachedChunk c0 = f.load(new ChunkId(file, 0), fourPages, "d0");
    loadAndRelease(file, 3, fourPages); // chunks 0-2, chunk 0 held
    f.load(new ChunkId(file, 4), fourPages, "d0").release(); // 16 of 16 pages
    TfsException full = failure(f.cache.load(new ChunkId(file, 3), fourPages, OWNER, f.replicas("d0")));
    assertEquals(ErrorCode.NO_SPACE, full.code(), "pinned: nothing of it goes");
    f.cache.unpin(file);
    f.load(new ChunkId(file, 3), fourPages, "d0").release();
    assertEquals(Set.of(0, 2, 3, 4), f.cache.residentChunks(file), "chunk 0 held, chunk 4 ahead: chunk 1 went");
    c0.release();
  }

  @Test
  void shouldNeverEvictPinnedFileAndFailWithNoSpaceWhenOnlyPinnedRemain() {
    int fourteenMib = 7 * PAGE;
    FileId a = FileId.random();
    FileId b = FileId.random();
    storedFile(a, 2, fourteenMib);
    byte[] bBytes = storedFile(b, 1, 2 * PAGE).get(0);
    f.cache.pin(a); // before anything of it is resident
    loadAndRelease(a, 2, fourteenMib);
    assertEquals(14L * PAGE, f.cache.stats().pinnedBytes());

    f.load(new ChunkId(b, 0), 2 * PAGE, "d0").release();
    TfsException full = failure(f.cache.load(new ChunkId(b, 1), 3 * PAGE, OWNER, f.replicas("d0")));
    assertEquals(ErrorCode.NO_SPACE, full.code());
    assertTrue(full.getMessage().startsWith("cache full"), full.getMessage());
    assertEquals(Set.of(0, 1), f.cache.residentChunks(a));
    assertEquals(Set.of(0), f.cache.residentChunks(b), "B's resident chunk is not evicted for nothing");
    assertEquals(16, f.heldPages(), "a refused load holds nothing");

    f.cache.unpin(a);
    FileId c = FileId.random();
    storedFile(c, 1, 3 * PAGE);
    f.load(new ChunkId(c, 0), 3 * PAGE, "d0").release();
    assertEquals(Set.of(), f.cache.residentChunks(a), "unpinned, A is the least recent");
    assertArrayEquals(bBytes, bytesOf(f.cache.lookup(new ChunkId(b, 0)).orElseThrow(), 0, 2 * PAGE));
  }

  @Test
  void shouldNotEvictRetainedChunkUntilReleased() {
    int eightMib = 4 * PAGE;
    FileId a = FileId.random();
    FileId b = FileId.random();
    FileId c = FileId.random();
    FileId d = FileId.random();
    byte[] aBytes = storedFile(a, 1, eightMib).get(0);
    storedFile(b, 1, eightMib);
    storedFile(c, 1, eightMib);
    storedFile(d, 1, eightMib);
    CachedChunk held = f.load(new ChunkId(a, 0), eightMib, "d0"); // least recent, but held
    loadAndRelease(b, 1, eightMib);
    loadAndRelease(c, 1, eightMib);
    loadAndRelease(d, 1, eightMib); // full: 16 pages

    FileId e = FileId.random();
    storedFile(e, 1, eightMib);
    loadAndRelease(e, 1, eightMib);
    assertTrue(f.cache.contains(new ChunkId(a, 0)), "held by a reader");
    assertFalse(f.cache.contains(new ChunkId(b, 0)), "B was the least recent one free to go");

    f.cache.drop(a); // the reader's bytes stay until it lets go
    assertFalse(f.cache.contains(new ChunkId(a, 0)));
    assertArrayEquals(aBytes, bytesOf(held, 0, eightMib));
    assertEquals(0, f.pool.freePages());
    held.release();
    assertEquals(4, f.pool.freePages());
  }

  @Test
  void shouldReturnEveryPageWhenManyThreadsLoadAndReleaseConcurrently() throws Exception {
    int files = 10;
    List<byte[]> bytes = new ArrayList<>();
    List<FileId> ids = new ArrayList<>();
    for (int i = 0; i < files; i++) {
      FileId file = FileId.random();
      ids.add(file);
      bytes.add(storedFile(file, 1, 2 * PAGE - 100).get(0)); // 2 pages each: 20 pages wanted, 16 there
    }
    AtomicInteger loaded = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        runs.add(threads.submit(() -> {
          for (int i = 0; i < 150; i++) {
            int pick = ThreadLocalRandom.current().nextInt(files);
            CompletionStage<CachedChunk> load = f.cache.load(new ChunkId(ids.get(pick), 0), 2 * PAGE - 100, OWNER,
                f.replicas("d0"));
            CachedChunk c;
            try {
              c = load.toCompletableFuture().get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
              if (TfsException.codeOf(Failures.unwrap(e)) != ErrorCode.NO_SPACE) throw new AssertionError(e);
              refused.incrementAndGet();
              continue;
            }
            int at = ThreadLocalRandom.current().nextInt(2 * PAGE - 200);
            assertArrayEquals(Arrays.copyOfRange(bytes.get(pick), at, at + 100), bytesOf(c, at, 100));
            CachedChunk second = c.retain();
            c.release();
            second.release();
            loaded.incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> run : runs) run.get(120, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertEquals(900, loaded.get() + refused.get());
    assertTrue(loaded.get() > 0);
    assertEquals(PAGES, f.pool.freePages() + f.heldPages(), "every page is free or the cache's");
    for (FileId file : ids) f.cache.drop(file);
    assertEquals(PAGES, f.pool.freePages());
    assertEquals(0, f.cache.stats().usedBytes());
  }

  @Test
  void shouldFlushWriteBackChunkToItsStoreAndKeepItResident() {
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    byte[] bytes = randomBytes(THREE_PAGES, 5);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    f.store("d1").appendGate = gate; // holds the flush, so the chunk is seen dirty

    WrittenReplica written = f.writeBack(chunk, bytes, "d1");
    assertEquals(new WrittenReplica(chunk, "d1", THREE_PAGES, Crc32c.of(bytes, 0, bytes.length)), written);
    assertTrue(f.cache.contains(chunk));
    assertEquals(THREE_PAGES, f.cache.stats().dirtyBytes());
    assertArrayEquals(bytes, bytesOf(f.cache.lookup(chunk).orElseThrow(), 0, THREE_PAGES));

    CompletionStage<org.apache.pekko.Done> flushed = f.cache.flushAll();
    assertFalse(flushed.toCompletableFuture().isDone());
    gate.complete(null);
    await(flushed);
    assertEquals(0, f.cache.stats().dirtyBytes());
    assertArrayEquals(bytes, await(f.store("d1").read(chunk, 0, THREE_PAGES)).toArray());
    assertTrue(f.cache.contains(chunk), "a flushed chunk stays resident, clean");
    assertEquals(List.of(), f.droppedDirty);
  }

  @Test
  void shouldHoldWriteBackChunksInMemoryForTheFlushDelayUnlessFlushedSooner() throws Exception {
    f.close();
    f = new CacheFixture(dir.resolve("delayed"), CacheSettings.small(PAGES).withFlushDelay(Duration.ofHours(1)));
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    byte[] bytes = randomBytes(PAGE + 17, 8);
    f.writeBack(chunk, bytes, "d0");
    TimeUnit.MILLISECONDS.sleep(300); // a flush would have started by now without the delay
    assertEquals(PAGE + 17, f.cache.stats().dirtyBytes(), "still only in memory during the delay");
    Throwable absent = await(f.store("d0").read(chunk, 0, 1).handle((b, e) -> e));
    assertEquals(ErrorCode.NOT_FOUND, TfsException.codeOf(Failures.unwrap(absent)), "not on disk yet");
    await(f.cache.flushAll());
    assertEquals(0, f.cache.stats().dirtyBytes());
    assertArrayEquals(bytes, await(f.store("d0").read(chunk, 0, PAGE + 17)).toArray());
  }

  @Test
  void shouldDropDirtyChunksOnlyAfterCleanFilesWhenEvicting() {
    CacheSettings slowRetry = CacheSettings.small(PAGES).withFlushRetry(Duration.ofMinutes(5));
    f.close();
    f = new CacheFixture(dir.resolve("second"), slowRetry);
    f.store("d1").failWriters = true; // flushes fail: the chunks stay dirty
    FileId dirty = FileId.random();
    ChunkId dirtyChunk = new ChunkId(dirty, 0);
    f.writeBack(dirtyChunk, randomBytes(3 * PAGE, 1), "d1");
    f.writeBack(new ChunkId(dirty, 1), randomBytes(3 * PAGE, 2), "d1");
    awaitCondition("the first flushes failed", () -> f.store("d1").writersOpened.get() >= 2);
    FileId clean = FileId.random();
    FileId next = FileId.random();
    FileId last = FileId.random();
    storedFile(clean, 1, 6 * PAGE);
    storedFile(next, 1, 6 * PAGE);
    storedFile(last, 1, 6 * PAGE);
    loadAndRelease(clean, 1, 6 * PAGE); // 12 pages held; dirty is the least recent

    CachedChunk reading = f.load(new ChunkId(next, 0), 6 * PAGE, "d0"); // held: not a candidate
    assertFalse(f.cache.contains(new ChunkId(clean, 0)), "the clean file goes first, though more recent");
    assertEquals(Set.of(0, 1), f.cache.residentChunks(dirty));
    assertEquals(List.of(), f.droppedDirty);

    loadAndRelease(last, 1, 6 * PAGE); // no clean file can go: the dirty one does
    reading.release();
    assertEquals(Set.of(), f.cache.residentChunks(dirty));
    assertEquals(Set.of(dirtyChunk, new ChunkId(dirty, 1)), Set.copyOf(f.droppedDirty));
    assertTrue(f.cache.lookup(dirtyChunk).isEmpty(), "a miss, never wrong bytes");
    assertEquals(0, f.cache.stats().dirtyBytes());
    await(f.cache.flushAll()); // nothing dirty is left to wait for
  }

  @Test
  void shouldWriteThroughToStoreWhenPoolIsExhausted() {
    FileId pinned = FileId.random();
    storedFile(pinned, 1, 14 * PAGE);
    f.cache.pin(pinned);
    f.load(new ChunkId(pinned, 0), 14 * PAGE, "d0").release();
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    byte[] bytes = randomBytes(3 * PAGE + 999, 9);

    WrittenReplica written = f.writeBack(chunk, bytes, "d1");

    assertEquals(new WrittenReplica(chunk, "d1", bytes.length, Crc32c.of(bytes, 0, bytes.length)), written);
    assertFalse(f.cache.contains(chunk), "written through, not cached");
    assertArrayEquals(bytes, await(f.store("d1").read(chunk, 0, bytes.length)).toArray());
    assertEquals(0, f.cache.stats().dirtyBytes());
    assertEquals(14, f.heldPages());
    assertEquals(2, f.pool.freePages());
  }

  @Test
  void shouldReturnPagesWhenWriterAborts() {
    ChunkWriter w = f.cache.writeBack(new ChunkId(FileId.random(), 0), OWNER, "d0");
    await(w.append(ByteString.fromArray(randomBytes(PAGE + 5, 3))));
    assertEquals(2, f.heldPages());
    await(w.abort());
    assertEquals(0, f.heldPages());
    assertEquals(PAGES, f.pool.freePages());
  }

  @Test
  void shouldFailOverToNextStoreWhenReplicaIsCorruptOrMissing() throws IOException {
    FileId file = FileId.random();
    ChunkId chunk = new ChunkId(file, 0);
    byte[] bytes = randomBytes(THREE_PAGES, 11);
    f.writeReplica("d0", chunk, bytes);
    f.writeReplica("d1", chunk, bytes);
    Path data = dir.resolve("d0").resolve("chunks").resolve(file.value()).resolve("0.data");
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) ~bytes[PAGE + 77]}), PAGE + 77);
    }

    TfsException corrupt = failure(f.cache.load(chunk, THREE_PAGES, OWNER, f.replicas("d0")));
    assertEquals(ErrorCode.CHECKSUM_MISMATCH, corrupt.code());
    assertEquals(0, f.heldPages(), "a failed load leaves nothing behind");
    assertEquals(PAGES, f.pool.freePages());
    assertFalse(f.cache.contains(chunk));

    CachedChunk c = f.load(chunk, THREE_PAGES, "d0", "d1");
    assertArrayEquals(bytes, bytesOf(c, 0, THREE_PAGES));
    c.release();

    ChunkId onlyOnD1 = new ChunkId(file, 1);
    f.writeReplica("d1", onlyOnD1, bytes);
    CachedChunk other = f.load(onlyOnD1, THREE_PAGES, "d0", "nowhere", "d1");
    assertArrayEquals(bytes, bytesOf(other, 0, THREE_PAGES));
    other.release();
    assertEquals(ErrorCode.NOT_FOUND, failure(f.cache.load(new ChunkId(file, 2), 10, OWNER, f.replicas("d0", "d1"))).code());
  }

  @Test
  void shouldReturnMemoryToBaselineWhenEverythingIsDropped() {
    FileId a = FileId.random();
    storedFile(a, 2, THREE_PAGES);
    loadAndRelease(a, 2, THREE_PAGES);
    FileId kv = FileId.random();
    f.writeBack(new ChunkId(kv, 0), randomBytes(PAGE, 4), "d0");
    await(f.cache.flushAll());
    f.cache.pin(a);
    assertEquals(7, f.heldPages());

    f.cache.drop(a);
    f.cache.drop(kv);

    CacheStats stats = f.cache.stats();
    assertEquals(0, stats.usedBytes());
    assertEquals(0, stats.pinnedBytes());
    assertEquals(0, stats.files());
    assertEquals(PAGES, f.pool.freePages());
    assertEquals(List.of(), f.droppedDirty, "the write-back chunk was flushed before the drop");
  }

  @Test
  void shouldNotResurrectChunkDroppedWhileItsFlushRuns() {
    ChunkId chunk = new ChunkId(FileId.random(), 0);
    CompletableFuture<Void> gate = new CompletableFuture<>();
    f.store("d0").appendGate = gate;
    f.writeBack(chunk, randomBytes(PAGE + 1, 6), "d0");
    awaitCondition("the flush started", () -> f.store("d0").writersOpened.get() == 1);

    f.cache.drop(chunk.fileId());
    assertEquals(List.of(chunk), f.droppedDirty);
    gate.complete(null);
    await(f.cache.flushAll());
    awaitCondition("the flusher let go of the pages", () -> f.pool.freePages() == PAGES);

    assertFalse(f.cache.contains(chunk));
    assertEquals(0, f.cache.stats().usedBytes());
    assertEquals(ErrorCode.NOT_FOUND, failure(f.store("d0").read(chunk, 0, 10)).code(), "the flush was abandoned");
  }
}
