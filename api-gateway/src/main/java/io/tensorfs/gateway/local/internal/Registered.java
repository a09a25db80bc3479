package io.tensorfs.gateway.local.internal;

import io.tensorfs.core.gpu.GpuBuffer;
import java.nio.ByteBuffer;
import java.util.List;

/** A buffer a client registered on its channel, kept until it unregisters it or the channel detaches. */
public sealed interface Registered {
  long sizeBytes();

  /** A host shared-memory segment, mapped once: its windows in order (each at most 1 GiB). */
  record Host(String segment, List<ByteBuffer> windows, long sizeBytes) implements Registered {}

  /** A CUDA allocation of the client's, exported as an IPC handle. */
  record Gpu(GpuBuffer buffer) implements Registered {
    @Override
    public long sizeBytes() {
      return buffer.length();
    }
  }
}
