package io.tensorfs.store.cache;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes dirty chunks to their stores in the background, oldest first, {@code parallelism} at a time,
 * through an ordinary store writer. A failed flush keeps the chunk dirty and is tried again after
 * {@code retry}. A chunk waits {@code delay} after it became dirty before its first flush. Thread-safe: its queue has its own lock, never held while calling the cache.
 */
final class Flusher {
  private static final Logger log = LoggerFactory.getLogger(Flusher.class);

  private final ChunkCache cache;
  private final int parallelism;
  private final Duration retry;
  private final Duration delay;
  private final ScheduledExecutorService timer;

  // Guarded by this.
  private final ArrayDeque<CacheEntry> queue = new ArrayDeque<>();
  private final Set<CacheEntry> waiting = Collections.newSetFromMap(new IdentityHashMap<>());
  private int running;

  Flusher(ChunkCache cache, int parallelism, Duration retry, Duration delay, ScheduledExecutorService timer) {
    this.cache = cache;
    this.parallelism = parallelism;
    this.retry = retry;
    this.delay = delay;
    this.timer = timer;
  }

  void enqueue(CacheEntry entry) {
    if (!delay.isZero()) {
      schedule(entry, delay);
      return;
    }
    synchronized (this) {
      queue.add(entry);
    }
    kick();
  }

  /** Puts the chunks waiting out a retry delay back in the queue now. */
  void retryNow() {
    synchronized (this) {
      queue.addAll(waiting);
      waiting.clear();
    }
    kick();
  }

  private void kick() {
    while (true) {
      CacheEntry next;
      synchronized (this) {
        if (running >= parallelism || queue.isEmpty()) return;
        next = queue.poll();
        running++;
      }
      CachedChunk pages = cache.claimForFlush(next);
      if (pages == null) {
        synchronized (this) {
          running--;
        }
        continue;
      }
      flush(next, pages).whenComplete((written, failure) -> ended(next, pages, written, failure));
    }
  }

  private void ended(CacheEntry entry, CachedChunk pages, WrittenReplica written, Throwable failure) {
    pages.release();
    if (cache.flushEnded(entry, written, failure)) {
      log.warn("cache: flushing chunk {} to store {} failed, trying again in {}: {}", entry.id, entry.storeId,
          retry, Failures.unwrap(failure).toString());
      schedule(entry, retry);
    }
    synchronized (this) {
      running--;
    }
    kick();
  }

  /** Queues {@code entry} after {@code after}; {@link #retryNow()} queues it sooner. */
  private void schedule(CacheEntry entry, Duration after) {
    synchronized (this) {
      waiting.add(entry);
    }
    try {
      timer.schedule(() -> {
        boolean due;
        synchronized (this) {
          due = waiting.remove(entry);
          if (due) queue.add(entry);
        }
        if (due) kick();
      }, after.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      log.warn("cache: closed; chunk {} stays unflushed", entry.id);
    }
  }

  /**
   * Appends the pages one at a time, then finishes; completes with null (and aborts the store writer)
   * when the chunk was dropped meanwhile, so a dropped chunk is not left on the store.
   */
  private CompletionStage<WrittenReplica> flush(CacheEntry entry, CachedChunk pages) {
    ChunkStore store = cache.store(entry.storeId);
    if (store == null) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no store " + entry.storeId
          + " on this node for chunk " + entry.id));
    }
    ChunkWriter writer;
    try {
      writer = store.openWriter(entry.id, entry.owner, false);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletionStage<Done> appended = CompletableFuture.completedFuture(Done.done());
    for (ByteBuffer slice : pages.slices(0, pages.length())) {
      appended = appended.thenCompose(d -> entry.removed
          ? CompletableFuture.completedFuture(Done.done())
          : writer.append(ByteString.fromByteBuffer(slice)));
    }
    CompletableFuture<WrittenReplica> result = new CompletableFuture<>();
    appended.thenCompose(d -> entry.removed ? writer.abort().thenApply(x -> (WrittenReplica) null) : writer.finish())
        .whenComplete((written, failure) -> {
          if (failure == null) {
            result.complete(written);
          } else {
            writer.abort().whenComplete((x, e) -> result.completeExceptionally(failure));
          }
        });
    return result;
  }
}
