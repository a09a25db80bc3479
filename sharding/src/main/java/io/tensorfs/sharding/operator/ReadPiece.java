package io.tensorfs.sharding.operator;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Bytes of a read, in order: read-only views of cache pages (or, past a full cache, of buffers read for
 * this request). The pages stay held until {@link #release()}, which is called exactly once.
 */
public record ReadPiece(List<ByteBuffer> buffers, Runnable onRelease) {
  public long bytes() {
    long n = 0;
    for (ByteBuffer b : buffers) n += b.remaining();
    return n;
  }

  public void release() {
    onRelease.run();
  }
}
