package io.tensorfs.store.cache;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.Page;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import io.tensorfs.store.cache.CacheEntry.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory cache tier of a node: whole chunks held in pages of a {@link PagePool}, read through
 * from the node's stores, written back to them in the background, and evicted per whole file, least
 * recently used first.
 *
 * <p>What is never evicted: a pinned file, a file any of whose pages a reader (or the flusher) holds,
 * a file with a chunk being loaded or written. Clean files go first; a dirty (write-back) file goes
 * only when no clean one can, and then its unflushed chunks are lost: {@code onDirtyDropped} hears of
 * each. A miss is an answer; wrong bytes never are. One exception to whole files: when no file can go,
 * a load takes the pages of clean chunks of its own file before it that nobody holds (a sequential read
 * of a file larger than the cache recycles what it passed, see {@code takeBehind}).
 *
 * <p>Thread-safe: one lock guards the index, never held during I/O. Store stages complete on the
 * stores' executors; this class only does bookkeeping there. Callbacks ({@code onDirtyDropped}) run
 * outside the lock.
 */
public final class ChunkCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkCache.class);

  private final PagePool pool;
  private final Function<String, ChunkStore> storeById;
  private final Consumer<ChunkId> onDirtyDropped;
  private final ScheduledExecutorService timer;
  private final Flusher flusher;

  // Guarded by this.
  private final Map<ChunkId, CacheEntry> entries = new HashMap<>();
  private final Map<FileId, CachedFile> files = new HashMap<>();
  private final Set<FileId> pins = new HashSet<>();
  private long clock;
  private long dirtyClock;
  private long heldPages;
  private long hits;
  private long misses;
  private long evictions;

  /** The chunks of one file the cache holds, and when any of them was last used. Guarded by the cache. */
  private static final class CachedFile {
    final Map<Integer, CacheEntry> chunks = new HashMap<>();
    long lastUse;

    boolean evictable() {
      for (CacheEntry e : chunks.values()) {
        if (!e.resident() || e.heldByOthers()) return false;
      }
      return true;
    }

    boolean dirty() {
      for (CacheEntry e : chunks.values()) {
        if (e.state == State.DIRTY) return true;
      }
      return false;
    }

    int pages() {
      int n = 0;
      for (CacheEntry e : chunks.values()) n += e.pages.size();
      return n;
    }
  }

  /**
   * @param storeById      this node's stores by id, null (or a throw) for an unknown id: where write-back
   *                       chunks are flushed, and what a warm names
   * @param onDirtyDropped told of each write-back chunk lost before it reached its store
   */
  public ChunkCache(PagePool pool, CacheSettings settings, Function<String, ChunkStore> storeById,
      Consumer<ChunkId> onDirtyDropped) {
    this.pool = pool;
    this.storeById = storeById;
    this.onDirtyDropped = onDirtyDropped;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tensorfs-cache-timer");
      t.setDaemon(true);
      return t;
    });
    this.flusher = new Flusher(this, settings.flushParallelism(), settings.flushRetry(), settings.flushDelay(),
        timer);
    CacheMetrics.register(this);
  }

  public PagePool pool() {
    return pool;
  }

  /** A resident chunk, retained for the caller (who releases it once); empty when not resident. */
  public Optional<CachedChunk> lookup(ChunkId chunk) {
    synchronized (this) {
      CacheEntry e = entries.get(chunk);
      if (e == null || !e.resident()) return Optional.empty();
      hits++;
      touch(chunk.fileId());
      return Optional.of(handOut(e));
    }
  }

  /**
   * Read-through: the chunk, resident already or read now from the first of {@code replicas} that
   * serves it (this node's stores, or the replicas of other nodes read as one store), retained for the
   * caller. Concurrent loads of one chunk share one read (each counts a
   * miss: none found the chunk resident). Fails with
   * NO_SPACE when no room can be made (read past the cache then), else with the last store's error.
   *
   * @param lengthBytes the chunk's length as the metadata records it; a replica of another length fails
   */
  public CompletionStage<CachedChunk> load(ChunkId chunk, long lengthBytes, TfsPath owner, List<ChunkStore> replicas) {
    if (lengthBytes < 0) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST, "negative chunk length"));
    }
    List<ChunkId> dropped = new ArrayList<>();
    CacheEntry entry;
    CacheEntry joined = null;
    synchronized (this) {
      touch(chunk.fileId());
      CacheEntry present = entries.get(chunk);
      if (present != null && present.resident()) {
        hits++;
        return CompletableFuture.completedFuture(handOut(present));
      }
      misses++;
      if (present != null && present.state == State.WRITING) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE,
            "chunk " + chunk + " is being written into the cache"));
      }
      if (present != null) {
        joined = present;
        entry = null;
      } else {
        int pageCount = pagesFor(lengthBytes);
        List<Page> pages = takePages(pageCount, dropped);
        if (pages == null) pages = takeBehind(chunk, pageCount, dropped);
        if (pages == null) {
          entry = null;
        } else {
          entry = new CacheEntry(chunk, State.LOADING, lengthBytes, owner, null);
          entry.pages.addAll(pages);
          index(entry);
        }
      }
    }
    notifyDropped(dropped);
    if (joined != null) {
      CacheEntry loading = joined;
      return loading.loaded.thenCompose(v -> joinLoaded(loading, lengthBytes, owner, replicas));
    }
    if (entry == null) return CompletableFuture.failedFuture(cacheFull(chunk, pagesFor(lengthBytes)));
    CompletableFuture<CachedChunk> result = new CompletableFuture<>();
    PageFill.fill(entry, List.copyOf(replicas), pool.pageBytes())
        .whenComplete((v, failure) -> finishLoad(entry, failure, result));
    return result;
  }

  private CompletionStage<CachedChunk> joinLoaded(CacheEntry loaded, long lengthBytes, TfsPath owner,
      List<ChunkStore> replicas) {
    synchronized (this) {
      if (!loaded.removed && loaded.resident()) return CompletableFuture.completedFuture(handOut(loaded));
    }
    // Dropped or evicted between the read and this caller: read again.
    return load(loaded.id, lengthBytes, owner, replicas);
  }

  private void finishLoad(CacheEntry entry, Throwable error, CompletableFuture<CachedChunk> result) {
    Throwable failure = error == null ? null : Failures.unwrap(error);
    CachedChunk handle = null;
    synchronized (this) {
      if (failure == null) {
        handle = handOut(entry);
        if (entry.removed) {
          releasePages(entry);
        } else {
          entry.state = State.CLEAN;
        }
      } else {
        unindex(entry);
        releasePages(entry);
      }
    }
    if (failure == null) {
      entry.loaded.complete(null);
      result.complete(handle);
    } else {
      entry.loaded.completeExceptionally(failure);
      result.completeExceptionally(failure);
    }
  }

  /**
   * A writer that keeps the chunk in memory: {@link ChunkWriter#finish()} makes it resident and dirty
   * (the flusher writes it to {@code storeId} later) and answers the CRC32C of its bytes. When pages
   * run out mid-write it writes through to the store instead; the chunk is then not cached. A chunk
   * the cache held already is replaced.
   */
  public ChunkWriter writeBack(ChunkId chunk, TfsPath owner, String storeId) {
    synchronized (this) {
      CacheEntry old = entries.get(chunk);
      // The new bytes supersede what was held: nothing is lost, so no drop is reported.
      if (old != null) remove(old, new ArrayList<>());
      CacheEntry entry = new CacheEntry(chunk, State.WRITING, 0, owner, storeId);
      index(entry);
      touch(chunk.fileId());
      return new WriteBackWriter(this, entry, pool.pageBytes());
    }
  }

  /**
   * One page for the pool's other user, the node's KV blocks, evicting whole files as a chunk would; null
   * when none can be freed. The page is then the caller's, outside the cache's figures: its last release
   * gives it back to the pool.
   */
  public Page lendPage() {
    List<ChunkId> dropped = new ArrayList<>();
    Page page = null;
    synchronized (this) {
      List<Page> got = takePages(1, dropped);
      if (got != null) {
        heldPages -= 1;
        page = got.get(0);
      }
    }
    notifyDropped(dropped);
    return page;
  }

  /** Pins a file: none of its chunks is evicted. Remembered while nothing of it is resident. */
  public synchronized void pin(FileId file) {
    pins.add(file);
  }

  public synchronized void unpin(FileId file) {
    pins.remove(file);
  }

  /**
   * DONTNEED: removes every chunk of the file. Pages go back once their readers release them; a chunk
   * being loaded or written is forgotten when that ends. Dirty chunks are not flushed: they are lost,
   * and {@code onDirtyDropped} hears of each.
   */
  public void drop(FileId file) {
    List<ChunkId> dropped = new ArrayList<>();
    synchronized (this) {
      CachedFile f = files.get(file);
      if (f == null) return;
      for (CacheEntry e : List.copyOf(f.chunks.values())) remove(e, dropped);
    }
    notifyDropped(dropped);
  }

  /** Whether the chunk is resident (complete, clean or dirty). */
  public synchronized boolean contains(ChunkId chunk) {
    CacheEntry e = entries.get(chunk);
    return e != null && e.resident();
  }

  /** The indexes of the file's resident chunks. */
  public synchronized Set<Integer> residentChunks(FileId file) {
    CachedFile f = files.get(file);
    if (f == null) return Set.of();
    Set<Integer> out = new HashSet<>();
    for (CacheEntry e : f.chunks.values()) {
      if (e.resident()) out.add(e.id.index());
    }
    return Set.copyOf(out);
  }

  /** Completes when every chunk dirty now has been flushed (or has left the cache). Retries at once. */
  public CompletionStage<Done> flushAll() {
    List<CompletableFuture<Void>> waits = new ArrayList<>();
    synchronized (this) {
      for (CacheEntry e : entries.values()) {
        if (e.state == State.DIRTY) waits.add(e.settled);
      }
    }
    flusher.retryNow();
    CompletableFuture<Done> result = new CompletableFuture<>();
    // Completed on the timer, so the caller's continuations never run under the cache's lock.
    CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
        .whenCompleteAsync((v, e) -> result.complete(Done.done()), timer);
    return result;
  }

  public synchronized CacheStats stats() {
    long pinnedPages = 0;
    long dirtyBytes = 0;
    long residentBytes = 0;
    int resident = 0;
    for (Map.Entry<FileId, CachedFile> f : files.entrySet()) {
      boolean any = false;
      for (CacheEntry e : f.getValue().chunks.values()) {
        if (!e.resident()) continue;
        any = true;
        residentBytes += e.length;
        if (pins.contains(f.getKey())) pinnedPages += e.pages.size();
        if (e.state == State.DIRTY) dirtyBytes += e.length;
      }
      if (any) resident++;
    }
    long page = pool.pageBytes();
    return new CacheStats(pool.capacityBytes(), heldPages * page, pinnedPages * page, dirtyBytes, residentBytes, resident,
        hits, misses, evictions, pool.pageBytes(), pool.memoryKind());
  }

  /** Stops the flusher's retries. The memory stays with the pool, which lives as long as the process. */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  // ---- write-back, called by WriteBackWriter

  /** One more page for a chunk being written, evicting if needed; null when none can be had. */
  Page takePageFor(CacheEntry entry) {
    List<ChunkId> dropped = new ArrayList<>();
    Page page = null;
    synchronized (this) {
      touch(entry.id.fileId());
      List<Page> got = takePages(1, dropped);
      if (got != null) {
        page = got.get(0);
        entry.pages.add(page);
      }
    }
    notifyDropped(dropped);
    return page;
  }

  /** The writer finished in memory: the chunk is resident and dirty, queued for its store. */
  void writeFinished(CacheEntry entry, long length, int crc32c) {
    boolean lost;
    synchronized (this) {
      entry.length = length;
      entry.crc32c = crc32c;
      lost = entry.removed;
      if (lost) {
        releasePages(entry);
      } else {
        entry.state = State.DIRTY;
        entry.dirtySince = ++dirtyClock;
        touch(entry.id.fileId());
      }
    }
    if (lost) {
      entry.settled.complete(null);
      notifyDropped(List.of(entry.id));
    } else {
      flusher.enqueue(entry);
    }
  }

  /** The writer aborted or went to the store: the entry leaves the cache and its pages go back. */
  void writeAbandoned(CacheEntry entry) {
    synchronized (this) {
      unindex(entry);
      releasePages(entry);
    }
    entry.settled.complete(null);
  }

  /** This node's store {@code storeId}, or null when it has none of that id. */
  ChunkStore store(String storeId) {
    try {
      return storeById.apply(storeId);
    } catch (RuntimeException e) {
      return null;
    }
  }

  // ---- flushing, called by Flusher

  /** A handle on a dirty chunk's pages for the flusher, or null when it is no longer dirty. */
  synchronized CachedChunk claimForFlush(CacheEntry entry) {
    if (entry.removed || entry.state != State.DIRTY || entry.flushing) return null;
    entry.flushing = true;
    return handOut(entry);
  }

  /**
   * A flush ended: written (clean now), lost on the way (null replica: the chunk was dropped), or
   * failed. Returns whether the chunk is still dirty and should be tried again.
   */
  boolean flushEnded(CacheEntry entry, WrittenReplica written, Throwable failure) {
    List<ChunkId> dropped = new ArrayList<>();
    boolean retry = false;
    synchronized (this) {
      entry.flushing = false;
      if (entry.removed) {
        // Dropped or evicted meanwhile: stays gone.
      } else if (failure != null) {
        retry = true;
      } else if (written.crc32c() != entry.crc32c) {
        log.error("cache: chunk {} reached store {} with CRC32C {} but {} was written into memory; dropping it",
            entry.id, entry.storeId, Integer.toHexString(written.crc32c()), Integer.toHexString(entry.crc32c));
        remove(entry, dropped);
      } else {
        entry.state = State.CLEAN;
      }
    }
    if (!retry) entry.settled.complete(null);
    notifyDropped(dropped);
    return retry;
  }

  // ---- the index; every method below runs under the lock

  private CachedChunk handOut(CacheEntry e) {
    return new CachedChunk(e.id, e.length, e.pages, pool.pageBytes());
  }

  private void touch(FileId file) {
    CachedFile f = files.get(file);
    if (f != null) f.lastUse = ++clock;
  }

  private void index(CacheEntry e) {
    entries.put(e.id, e);
    CachedFile f = files.computeIfAbsent(e.id.fileId(), k -> new CachedFile());
    f.chunks.put(e.id.index(), e);
    f.lastUse = ++clock;
  }

  private void unindex(CacheEntry e) {
    e.removed = true;
    if (entries.get(e.id) == e) entries.remove(e.id);
    CachedFile f = files.get(e.id.fileId());
    if (f != null && f.chunks.get(e.id.index()) == e) {
      f.chunks.remove(e.id.index());
      if (f.chunks.isEmpty()) files.remove(e.id.fileId());
    }
  }

  /**
   * Takes an entry out of the cache. A resident one gives its pages back now (readers keep theirs);
   * a loading or writing one keeps them until its I/O ends. A dirty one is added to {@code dropped}.
   */
  private void remove(CacheEntry e, List<ChunkId> dropped) {
    unindex(e);
    if (!e.resident()) return;
    if (e.state == State.DIRTY) dropped.add(e.id);
    releasePages(e);
    e.settled.complete(null);
  }

  private void releasePages(CacheEntry e) {
    if (e.pagesReleased) return;
    e.pagesReleased = true;
    heldPages -= e.pages.size();
    for (Page page : e.pages) page.release();
  }

  /** {@code n} pages, evicting whole files as needed; null when not enough can be freed. */
  private List<Page> takePages(int n, List<ChunkId> dropped) {
    if (n == 0) return List.of();
    if (n > pool.pageCount()) return null;
    while (true) {
      List<Page> got = pool.tryAcquire(n);
      if (!got.isEmpty()) {
        heldPages += n;
        return got;
      }
      if (pool.freePages() + evictablePages() < n) return null;
      FileId victim = victim();
      if (victim == null) return null;
      evict(victim, dropped);
    }
  }

  /**
   * Pages for a chunk when evicting whole files cannot make room, typically because its own file is being
   * read (a file whose pages a reader holds is not evicted): the chunks of the same file before this one
   * that are clean and that nobody holds, lowest first, which a sequential read of a file larger than
   * the cache has passed. So such a read goes on loading O_DIRECT into pages instead of reading past
   * the cache. Never a pinned file's, a dirty one's or a held one's; null when they do not make room.
   */
  private List<Page> takeBehind(ChunkId chunk, int n, List<ChunkId> dropped) {
    CachedFile f = files.get(chunk.fileId());
    if (n == 0 || n > pool.pageCount() || f == null || pins.contains(chunk.fileId())) return null;
    List<CacheEntry> behind = new ArrayList<>();
    int room = pool.freePages();
    for (CacheEntry e : f.chunks.values()) {
      if (e.id.index() < chunk.index() && e.state == State.CLEAN && !e.heldByOthers()) {
        behind.add(e);
        room += e.pages.size();
      }
    }
    if (room < n) return null;
    behind.sort(java.util.Comparator.comparingInt(e -> e.id.index()));
    for (CacheEntry e : behind) {
      List<Page> got = pool.tryAcquire(n);
      if (!got.isEmpty()) {
        heldPages += n;
        return got;
      }
      remove(e, dropped);
      evictions++;
    }
    List<Page> got = pool.tryAcquire(n);
    if (got.isEmpty()) return null;
    heldPages += n;
    return got;
  }

  private int evictablePages() {
    int n = 0;
    for (Map.Entry<FileId, CachedFile> f : files.entrySet()) {
      if (!pins.contains(f.getKey()) && f.getValue().evictable()) n += f.getValue().pages();
    }
    return n;
  }

  /** The least recently used evictable file, clean ones before dirty ones; null when there is none. */
  private FileId victim() {
    FileId clean = null;
    FileId dirty = null;
    long cleanUse = Long.MAX_VALUE;
    long dirtyUse = Long.MAX_VALUE;
    for (Map.Entry<FileId, CachedFile> e : files.entrySet()) {
      CachedFile f = e.getValue();
      if (pins.contains(e.getKey()) || !f.evictable()) continue;
      if (f.dirty()) {
        if (f.lastUse < dirtyUse) {
          dirtyUse = f.lastUse;
          dirty = e.getKey();
        }
      } else if (f.lastUse < cleanUse) {
        cleanUse = f.lastUse;
        clean = e.getKey();
      }
    }
    return clean != null ? clean : dirty;
  }

  private void evict(FileId file, List<ChunkId> dropped) {
    CachedFile f = files.get(file);
    int before = dropped.size();
    for (CacheEntry e : List.copyOf(f.chunks.values())) remove(e, dropped);
    evictions++;
    if (dropped.size() > before) {
      log.warn("cache: evicted file {} with {} chunks not yet on their store; they are lost", file,
          dropped.size() - before);
    }
  }

  private int pagesFor(long lengthBytes) {
    long pages = (lengthBytes + pool.pageBytes() - 1) / pool.pageBytes();
    return (int) Math.min(Integer.MAX_VALUE, pages);
  }

  private TfsException cacheFull(ChunkId chunk, int pages) {
    int free;
    synchronized (this) {
      free = pool.freePages();
    }
    return new TfsException(ErrorCode.NO_SPACE, "cache full: chunk " + chunk + " needs " + pages
        + " pages, " + free + " of " + pool.pageCount() + " are free and the rest are pinned, held by readers,"
        + " or being loaded or written");
  }

  private void notifyDropped(List<ChunkId> dropped) {
    for (ChunkId chunk : dropped) {
      try {
        onDirtyDropped.accept(chunk);
      } catch (RuntimeException e) {
        log.error("cache: the dirty-drop listener failed for chunk {}", chunk, e);
      }
    }
  }

  @Override
  public synchronized String toString() {
    return "ChunkCache(" + entries.size() + " chunks, " + heldPages + " of " + pool.pageCount() + " pages)";
  }
}
