package io.tensorfs.sharding.operator;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bytes of a read, in order: read-only views of cache pages (or, past a full cache, of buffers read for
 * this request). The pages stay held until {@link #release()}; only its first call releases them, so a
 * piece that a failure path and a completion path both release is released exactly once.
 */
public record ReadPiece(List<ByteBuffer> buffers, Runnable onRelease) {
  public ReadPiece {
    onRelease = once(onRelease);
  }

  public long bytes() {
    long n = 0;
    for (ByteBuffer b : buffers) n += b.remaining();
    return n;
  }

  public void release() {
    onRelease.run();
  }

  private static Runnable once(Runnable release) {
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) release.run();
    };
  }
}
