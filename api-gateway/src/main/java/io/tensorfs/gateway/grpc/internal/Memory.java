package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import java.nio.ByteBuffer;
import java.util.List;

/** Where the bytes of one scatter/gather element live on this host, resolved and checked. */
public sealed interface Memory {
  long length();

  /**
   * A range of a client's shared-memory segment, as slices of its mapping in order (one per mapping
   * window it crosses). The slices are this element's own: their positions serve as cursors.
   */
  record Host(String segment, List<ByteBuffer> slices, long length) implements Memory {}

  /** A range of a client's GPU allocation. */
  record Gpu(GpuBuffer buffer) implements Memory {
    @Override
    public long length() {
      return buffer.length();
    }
  }

  /**
   * Copies the remaining bytes of {@code from}, in order, into the remaining room of {@code to}, in order;
   * no position moves. The callers have checked that the room suffices (INTERNAL otherwise).
   */
  public static void copy(List<ByteBuffer> from, List<ByteBuffer> to) {
    int t = 0;
    ByteBuffer target = null;
    for (ByteBuffer source : from) {
      ByteBuffer s = source.duplicate();
      while (s.hasRemaining()) {
        while (target == null || !target.hasRemaining()) {
          if (t == to.size()) throw new TfsException(ErrorCode.INTERNAL, "the targets are shorter than the sources");
          target = to.get(t++).duplicate();
        }
        int n = Math.min(s.remaining(), target.remaining());
        target.put(s.slice(s.position(), n));
        s.position(s.position() + n);
      }
    }
  }
}
