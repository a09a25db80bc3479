package io.tensorfs.sharding.operator;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.transport.StreamEnds;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One read of a byte range of a sealed version: one {@link ReadPiece} per chunk the range touches, in
 * order, each served from the cache's pages when resident and read through the cache otherwise. The
 * version's bytes are leased until {@link #close()}, which also releases any piece fetched ahead and not
 * taken.
 *
 * <p>Taken either as a stream ({@link #pieces()}: up to {@code readAhead} chunks in flight, pulled by the
 * sink's demand) or piece by piece ({@link #next()}: up to {@code readAhead} pieces fetched ahead of the
 * one the caller holds), by one consumer. Every piece fetched counts in {@link ReadsHeld} until released.
 */
public final class FileRead implements AutoCloseable {
  private static final int OPEN = 0;
  private static final int TAKEN = 1;
  private static final int ABANDONED = 2;

  private final FileVersion version;
  private final long first;
  private final long length;
  private final boolean hit;
  private final int readAhead;
  private final Deque<Span> spans;
  private final Function<Span, CompletionStage<ReadPiece>> fetch;
  private final Runnable onClose;
  /** Fetches started by {@link #pieces()} whose piece the stream has not handed downstream yet. */
  private final Set<Fetch> untaken = new LinkedHashSet<>();
  /** Pieces started by {@link #started()} or {@link #next()} and not yet handed out, in order. */
  private final Deque<CompletableFuture<ReadPiece>> ahead = new ArrayDeque<>();
  private boolean streamed;
  private boolean closed;

  /** The part {@code [offset, offset+length)} of chunk {@code chunk}, whose length is {@code chunkLength}. */
  public record Span(ChunkId chunk, long chunkLength, long offset, long length) {}

  FileRead(FileVersion version, long first, long length, boolean hit, int readAhead, List<Span> spans,
      Function<Span, CompletionStage<ReadPiece>> fetch, Runnable onClose) {
    this.version = version;
    this.first = first;
    this.length = length;
    this.hit = hit;
    this.readAhead = readAhead;
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

  /** Chunks this read keeps in flight as a stream: the bound on the pieces it holds for its sink. */
  public int readAhead() {
    return readAhead;
  }

  /**
   * The read's pieces as a stream, in order: up to {@link #readAhead()} chunk fetches in flight, started
   * only as the sink's demand leaves room, so a sink that stops pulling stops the loads. The consumer
   * releases each piece it receives; a piece fetched but not handed down (the stream cancelled or failed)
   * is released here. The read closes when the stream ends, however it ends. Materialize it once.
   */
  public Source<ReadPiece, NotUsed> pieces() {
    List<Supplier<CompletionStage<ReadPiece>>> starts = new ArrayList<>();
    List<Fetch> started = new ArrayList<>();
    synchronized (this) {
      if (closed || streamed) {
        return Source.failed(new TfsException(ErrorCode.INTERNAL, "read already closed or streamed"));
      }
      streamed = true;
      // Fetches already started (the first piece, fetched before the answer began) are owned from now on.
      for (CompletableFuture<ReadPiece> piece : ahead) {
        Fetch f = new Fetch(piece);
        untaken.add(f);
        started.add(f);
      }
      ahead.clear();
      for (Span span : spans) starts.add(() -> counted(span));
      spans.clear();
    }
    Source<Supplier<CompletionStage<Fetch>>, NotUsed> fetches = Source.from(started)
        .<Supplier<CompletionStage<Fetch>>>map(f -> () -> f.piece.thenApply(p -> f))
        .concat(Source.from(starts).map(start -> () -> track(start)));
    return StreamEnds.whenEnded(fetches.mapAsync(readAhead, Supplier::get).map(this::take), this::close);
  }

  /**
   * The next piece, or a stage completing with null after the last; the fetches of up to read-ahead
   * pieces after it are started.
   */
  public synchronized CompletionStage<ReadPiece> next() {
    if (closed || streamed) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.INTERNAL, "read already closed or streamed"));
    }
    CompletableFuture<ReadPiece> current = ahead.isEmpty() ? start() : ahead.pollFirst();
    if (current == null) return CompletableFuture.completedFuture(null);
    while (ahead.size() < readAhead && !spans.isEmpty()) ahead.addLast(start());
    return current;
  }

  /**
   * Starts fetching the first {@link #readAhead()} pieces and completes with this read once the first is in
   * hand, so that a caller answers only when its first byte can be sent; fails as that piece does, after
   * closing this read. The pieces after the first load while it does (asked after it, so it is not slowed):
   * started only once it is taken, they would leave the answer's socket idle while the next one loads.
   */
  CompletionStage<FileRead> started() {
    CompletableFuture<ReadPiece> firstPiece;
    synchronized (this) {
      while (ahead.size() < Math.max(1, readAhead) && !spans.isEmpty()) ahead.addLast(start());
      firstPiece = ahead.peekFirst();
    }
    if (firstPiece == null) return CompletableFuture.completedFuture(this);
    return firstPiece.handle((piece, e) -> {
      if (e == null) return this;
      close();
      throw e instanceof CompletionException c ? c : new CompletionException(e);
    });
  }

  private CompletableFuture<ReadPiece> start() {
    Span span = spans.pollFirst();
    return span == null ? null : counted(span);
  }

  private CompletableFuture<ReadPiece> counted(Span span) {
    try {
      return fetch.apply(span).toCompletableFuture().thenApply(ReadsHeld::counted);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Starts one fetch of the stream and remembers it until its piece is handed down or abandoned. */
  private CompletionStage<Fetch> track(Supplier<? extends CompletionStage<ReadPiece>> start) {
    synchronized (this) {
      if (closed) return CompletableFuture.failedFuture(new TfsException(ErrorCode.INTERNAL, "read closed"));
    }
    Fetch f = new Fetch(start.get().toCompletableFuture());
    synchronized (this) {
      if (closed) {
        f.abandon();
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.INTERNAL, "read closed"));
      }
      untaken.add(f);
    }
    return f.piece.thenApply(p -> f);
  }

  private ReadPiece take(Fetch f) {
    synchronized (this) {
      untaken.remove(f);
    }
    if (f.state.compareAndSet(OPEN, TAKEN)) return f.piece.getNow(null); // complete: mapAsync emitted it
    // Abandoned by close(), which released the piece.
    throw new TfsException(ErrorCode.INTERNAL, "read closed while its piece was on the way");
  }

  @Override
  public void close() {
    List<CompletableFuture<ReadPiece>> pending;
    List<Fetch> abandoned;
    synchronized (this) {
      if (closed) return;
      closed = true;
      pending = new ArrayList<>(ahead);
      ahead.clear();
      spans.clear();
      abandoned = new ArrayList<>(untaken);
      untaken.clear();
    }
    for (CompletableFuture<ReadPiece> p : pending) p.thenAccept(ReadPiece::release);
    for (Fetch f : abandoned) f.abandon();
    onClose.run();
  }

  /** One chunk fetch of the stream: handed down once, or abandoned (its piece released when it arrives). */
  private static final class Fetch {
    final CompletableFuture<ReadPiece> piece;
    final AtomicInteger state = new AtomicInteger(OPEN);

    Fetch(CompletableFuture<ReadPiece> piece) {
      this.piece = piece;
    }

    void abandon() {
      if (state.compareAndSet(OPEN, ABANDONED)) piece.thenAccept(ReadPiece::release);
    }
  }
}
