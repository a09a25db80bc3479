package io.tensorfs.sharding.operator;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.testing.Awaits;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link FileRead#pieces()} over a fake fetch: at most read-ahead fetches beyond what the sink took, and
 * every piece released exactly once when the stream completes, is cancelled or fails.
 */
class FileReadTest {
  private static final int READ_AHEAD = 3;
  private static final int PIECES = 20;
  private static ActorTestKit testKit;
  private static ActorSystem<?> system;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("file-read");
    system = testKit.system();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A fetch of 1 KiB pieces that counts starts and releases; with {@code hold}, each arrives after 50 ms. */
  private static final class Fetches {
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    int failAt = -1;
    boolean hold;

    synchronized CompletionStage<ReadPiece> fetch(FileRead.Span span) {
      int i = started.getAndIncrement();
      if (i == failAt) return CompletableFuture.failedFuture(new TfsException(ErrorCode.IO_ERROR, "disk gone"));
      ReadPiece piece = new ReadPiece(List.of(ByteBuffer.allocate(1024)), released::incrementAndGet);
      if (!hold) return CompletableFuture.completedFuture(piece);
      return CompletableFuture.supplyAsync(() -> piece, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
    }

    FileRead read() {
      List<FileRead.Span> spans = new ArrayList<>();
      FileId file = FileId.random();
      for (int i = 0; i < PIECES; i++) spans.add(new FileRead.Span(new ChunkId(file, i), 1024, 0, 1024));
      return new FileRead(null, 0, PIECES * 1024L, false, READ_AHEAD, spans, this::fetch, closed::incrementAndGet);
    }
  }

  @Test
  void shouldFetchOnlyReadAheadPastWhatTheSinkTookAndReleaseEveryPieceOnce() throws Exception {
    Fetches f = new Fetches();
    streamWithASinkThatStallsAtPieceFive(f, f.read());
    Awaits.until(() -> f.closed.get() == 1, Duration.ofSeconds(5), "the read closed");
    assertEquals(0, ReadsHeld.bytes());
  }

  @Test
  void shouldKeepTheReadAheadBoundWhenStreamedAfterTheFirstPieceWasStarted() throws Exception {
    Fetches f = new Fetches();
    streamWithASinkThatStallsAtPieceFive(f, await(f.read().started()));
  }

  /**
   * Streams {@code read} into a sink that holds piece 5 for a while: asserts that exactly read-ahead pieces
   * past it were fetched meanwhile, then that every piece arrived and was released once.
   */
  private static void streamWithASinkThatStallsAtPieceFive(Fetches f, FileRead read) throws Exception {
    CompletableFuture<Void> resume = new CompletableFuture<>();
    AtomicInteger taken = new AtomicInteger();
    CompletionStage<Integer> done = read.pieces()
        .mapAsync(1, piece -> taken.incrementAndGet() == 5 ? resume.thenApply(x -> piece)
            : CompletableFuture.completedFuture(piece))
        .map(piece -> {
          piece.release();
          return 1;
        })
        .runWith(Sink.fold(0, Integer::sum), system);
    Awaits.until(() -> f.started.get() >= 5 + READ_AHEAD, Duration.ofSeconds(5), "the sink reached its stall");
    Thread.sleep(300);
    assertEquals(5 + READ_AHEAD, f.started.get(), "fetches while the sink holds piece 5: read-ahead past it");
    resume.complete(null);
    assertEquals(PIECES, await(done));
    assertEquals(PIECES, f.released.get());
  }

  @Test
  void shouldReleaseThePiecesFetchedAheadWhenTheSinkCancels() {
    Fetches f = new Fetches();
    f.hold = true;
    int got = await(f.read().pieces().take(2).map(piece -> {
      piece.release();
      return 1;
    }).runWith(Sink.fold(0, Integer::sum), system));
    assertEquals(2, got);
    Awaits.until(() -> f.released.get() == f.started.get(), Duration.ofSeconds(5), "every fetched piece released");
    assertTrue(f.started.get() <= 2 + READ_AHEAD, "fetched " + f.started.get());
    Awaits.until(() -> f.closed.get() == 1, Duration.ofSeconds(5), "the read closed");
  }

  @Test
  void shouldFailAndReleaseEveryFetchedPieceWhenAFetchFails() {
    Fetches f = new Fetches();
    f.failAt = 6;
    Throwable failure = Awaits.failure(f.read().pieces().map(piece -> {
      piece.release();
      return 1;
    }).runWith(Sink.fold(0, Integer::sum), system));
    assertEquals(ErrorCode.IO_ERROR, TfsException.codeOf(failure));
    Awaits.until(() -> f.released.get() == f.started.get() - 1, Duration.ofSeconds(5), "every fetched piece released");
    Awaits.until(() -> f.closed.get() == 1, Duration.ofSeconds(5), "the read closed");
  }

  @Test
  void shouldReleaseThePieceFetchedBeforeTheAnswerWhenTheStreamIsCancelledAtOnce() {
    Fetches f = new Fetches();
    FileRead read = await(f.read().started());
    assertEquals(READ_AHEAD, f.started.get(), "the first piece and the read-ahead after it, started before the answer");
    read.pieces().runWith(Sink.cancelled(), system);
    Awaits.until(() -> f.closed.get() == 1, Duration.ofSeconds(5), "the read closed");
    assertEquals(f.started.get(), f.released.get(), "every fetched piece released");
  }

  @Test
  void shouldKeepReadAheadPiecesFetchedPastTheOneHandedOutPieceByPiece() {
    Fetches f = new Fetches();
    FileRead read = f.read();
    ReadPiece first = await(read.next());
    assertEquals(1 + READ_AHEAD, f.started.get(), "the piece handed out and read-ahead after it");
    first.release();
    int n = 1;
    for (ReadPiece p = await(read.next()); p != null; p = await(read.next())) {
      p.release();
      n++;
      assertTrue(f.started.get() - f.released.get() <= 1 + READ_AHEAD, "held: " + (f.started.get() - f.released.get()));
    }
    assertEquals(PIECES, n);
    read.close();
    assertEquals(PIECES, f.released.get());
    assertEquals(1, f.closed.get());
  }

  @Test
  void shouldRefuseASecondStream() {
    Fetches f = new Fetches();
    FileRead read = f.read();
    read.pieces();
    Throwable failure = Awaits.failure(read.pieces().runWith(Sink.ignore(), system));
    assertEquals(ErrorCode.INTERNAL, TfsException.codeOf(failure));
  }
}
