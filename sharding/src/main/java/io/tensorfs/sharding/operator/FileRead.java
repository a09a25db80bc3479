package io.tensorfs.sharding.operator;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.FileVersion;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One read of a byte range of a sealed version: one {@link ReadPiece} per chunk the range touches, in
 * order, each served from the cache's pages when resident and read through the cache otherwise. While
 * the caller holds piece {@code i}, piece {@code i+1} is already being fetched. The version's bytes are
 * leased until {@link #close()}, which also releases any piece fetched ahead and not taken.
 *
 * <p>Used by one consumer at a time: each {@link #next()} after the previous stage completed.
 */
public final class FileRead implements AutoCloseable {
  private final FileVersion version;
  private final long first;
  private final long length;
  private final boolean hit;
  private final Deque<Span> spans;
  private final Function<Span, CompletionStage<ReadPiece>> fetch;
  private final Runnable onClose;
  private CompletableFuture<ReadPiece> ahead;
  private boolean closed;

  /** The part {@code [offset, offset+length)} of chunk {@code chunk}, whose length is {@code chunkLength}. */
  public record Span(ChunkId chunk, long chunkLength, long offset, long length) {}

  FileRead(FileVersion version, long first, long length, boolean hit, List<Span> spans,
      Function<Span, CompletionStage<ReadPiece>> fetch, Runnable onClose) {
    this.version = version;
    this.first = first;
    this.length = length;
    this.hit = hit;
    this.spans = new ArrayDeque<>(spans);
    this.fetch = fetch;
    this.onClose = onClose;
  }

  public FileVersion version() {
    return version;
  }

  public long first() {
    return first;
  }

  public long length() {
    return length;
  }

  /** Whether every chunk of the range was resident in this node's cache when the read was opened. */
  public boolean hit() {
    return hit;
  }

  /** The next piece, or a stage completing with null after the last. */
  public synchronized CompletionStage<ReadPiece> next() {
    if (closed) return CompletableFuture.failedFuture(new TfsException(ErrorCode.INTERNAL, "read already closed"));
    CompletableFuture<ReadPiece> current = ahead != null ? ahead : start();
    ahead = null;
    if (current == null) return CompletableFuture.completedFuture(null);
    if (!spans.isEmpty()) ahead = start();
    return current;
  }

  /**
   * Starts fetching the first piece and completes with this read once it is in hand, so that a caller
   * answers only when its first byte can be sent; fails as that piece does, after closing this read.
   */
  CompletionStage<FileRead> started() {
    CompletableFuture<ReadPiece> first;
    synchronized (this) {
      if (ahead == null) ahead = start();
      first = ahead;
    }
    if (first == null) return CompletableFuture.completedFuture(this);
    return first.handle((piece, e) -> {
      if (e == null) return this;
      close();
      throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
    });
  }

  private CompletableFuture<ReadPiece> start() {
    Span span = spans.pollFirst();
    return span == null ? null : fetch.apply(span).toCompletableFuture();
  }

  @Override
  public void close() {
    CompletableFuture<ReadPiece> pending;
    synchronized (this) {
      if (closed) return;
      closed = true;
      pending = ahead;
      ahead = null;
      spans.clear();
    }
    if (pending != null) pending.thenAccept(ReadPiece::release);
    onClose.run();
  }
}
