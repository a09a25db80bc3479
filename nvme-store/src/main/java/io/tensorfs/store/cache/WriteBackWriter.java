package io.tensorfs.store.cache;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.memory.Page;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32C;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * Writes a chunk into cache pages taken as the bytes arrive; {@link #finish()} hands it to the cache
 * as dirty. When no page can be had, it writes through to the chunk's store instead: what it holds
 * first, then the rest. Calls are sequential (see {@link ChunkWriter}). Not thread-safe.
 */
final class WriteBackWriter implements ChunkWriter {
  private final ChunkCache cache;
  private final CacheEntry entry;
  private final int pageBytes;
  private final CRC32C crc = new CRC32C();
  private long length;
  private Page current;
  private int positionInPage;
  private ChunkWriter through;
  private boolean closed;

  WriteBackWriter(ChunkCache cache, CacheEntry entry, int pageBytes) {
    this.cache = cache;
    this.entry = entry;
    this.pageBytes = pageBytes;
  }

  @Override
  public CompletionStage<Done> append(ByteString bytes) {
    if (through != null) return through.append(bytes);
    if (closed) return closedFailure();
    int at = 0;
    while (at < bytes.size()) {
      if (current == null || positionInPage == pageBytes) {
        current = cache.takePageFor(entry);
        positionInPage = 0;
        if (current == null) return writeThrough(bytes.drop(at));
      }
      int n = Math.min(pageBytes - positionInPage, bytes.size() - at);
      bytes.slice(at, at + n).copyToBuffer(current.buffer().position(positionInPage));
      crc.update(current.buffer().limit(positionInPage + n).position(positionInPage));
      positionInPage += n;
      at += n;
      length += n;
    }
    return CompletableFuture.completedFuture(Done.done());
  }

  /** Moves to the store: opens its writer, hands it the pages written so far, then {@code rest}. */
  private CompletionStage<Done> writeThrough(ByteString rest) {
    ChunkStore store = cache.store(entry.storeId);
    if (store == null) {
      closed = true;
      cache.writeAbandoned(entry);
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "the cache is full and there is"
          + " no store " + entry.storeId + " on this node to write chunk " + entry.id + " through to"));
    }
    try {
      through = store.openWriter(entry.id, entry.owner, false);
    } catch (RuntimeException e) {
      closed = true;
      cache.writeAbandoned(entry);
      return CompletableFuture.failedFuture(e);
    }
    List<Page> held = List.copyOf(entry.pages.subList(0, pagesWritten()));
    CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.done());
    for (int i = 0; i < held.size(); i++) {
      Page page = held.get(i);
      int bytesInPage = (int) Math.min(pageBytes, length - (long) i * pageBytes);
      // One page copied to the heap at a time; the pages stay the cache's until all are handed over.
      chain = chain.thenCompose(d -> through.append(ByteString.fromByteBuffer(page.buffer().limit(bytesInPage))));
    }
    return chain.thenCompose(d -> rest.isEmpty() ? CompletableFuture.completedFuture(Done.done()) : through.append(rest))
        .whenComplete((d, failure) -> cache.writeAbandoned(entry));
  }

  private int pagesWritten() {
    return (int) ((length + pageBytes - 1) / pageBytes);
  }

  @Override
  public CompletionStage<WrittenReplica> finish() {
    if (through != null) return through.finish();
    if (closed) return closedFailure();
    closed = true;
    int crc32c = (int) crc.getValue();
    cache.writeFinished(entry, length, crc32c);
    return CompletableFuture.completedFuture(new WrittenReplica(entry.id, entry.storeId, length, crc32c));
  }

  @Override
  public CompletionStage<Done> abort() {
    if (through != null) return through.abort();
    if (!closed) {
      closed = true;
      cache.writeAbandoned(entry);
    }
    return CompletableFuture.completedFuture(Done.done());
  }

  private static <T> CompletionStage<T> closedFailure() {
    return CompletableFuture.failedFuture(new TfsException(ErrorCode.INTERNAL, "chunk writer already closed"));
  }
}
