package io.tensorfs.sharding.operator;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes that the node's reads in flight hold, as the gauge {@code tensorfs.files.read-held}: pieces a
 * read fetched (cache pages, or buffers past a full cache) from the moment they are in hand until the
 * read's sink releases them. Each read holds at most {@code tensorfs.operator.read-ahead} chunks.
 * Thread-safe.
 */
public final class ReadsHeld {
  private static final AtomicLong HELD = new AtomicLong();

  static {
    Metrics.gauge("tensorfs.files.read-held", "Bytes of pages held by reads in flight (fetched ahead or being sent)",
        Unit.BYTES, Tags.EMPTY, HELD, AtomicLong::get);
  }

  private ReadsHeld() {}

  /** Makes the gauge known (served at 0) from the node's start, before its first read. */
  static void register() {
    // the static initializer above registers it
  }

  /** Bytes held now by every read of this node. */
  public static long bytes() {
    return HELD.get();
  }

  /** {@code piece} as a piece whose release also gives its bytes back to the count. */
  static ReadPiece counted(ReadPiece piece) {
    long bytes = piece.bytes();
    HELD.addAndGet(bytes);
    return new ReadPiece(piece.buffers(), () -> {
      HELD.addAndGet(-bytes);
      piece.release();
    });
  }
}
