package io.tensorfs.gateway.grpc.internal;

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
}
