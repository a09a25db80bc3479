package io.tensorfs.gateway.grpc;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * GPU memory simulated in host arrays, one per IPC handle, for tests of the GPU paths without a GPU.
 * Copies complete a little later on another thread, like a DMA, and the most copies in flight at once
 * is recorded. Switch {@link #available} off to play a node without a GPU.
 */
final class FakeGpus implements DeviceCopies {
  volatile boolean available = true;
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  private final Map<Integer, byte[]> memory = new ConcurrentHashMap<>();
  private final Executor later = CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS);

  /** A new simulated allocation of {@code bytes}; returns its IPC handle. */
  byte[] allocate(int bytes) {
    byte[] handle = new byte[GpuBuffer.HANDLE_BYTES];
    int key = memory.size() + 1;
    ByteBuffer.wrap(handle).putInt(key);
    memory.put(key, new byte[bytes]);
    return handle;
  }

  byte[] memoryOf(byte[] handle) {
    return memory.get(ByteBuffer.wrap(handle).getInt());
  }

  @Override
  public boolean available() {
    return available;
  }

  @Override
  public String describe() {
    return available ? "fake GPU" : "no GPU in this test";
  }

  @Override
  public CompletionStage<Long> toDevice(List<ByteBuffer> sources, GpuBuffer target) {
    return copy(target, (device, at) -> {
      long n = 0;
      for (ByteBuffer b : sources) {
        int len = b.remaining();
        b.get(device, (int) (at + n), len);
        n += len;
      }
      if (n != target.length()) throw new IllegalStateException("sources hold " + n + " bytes for " + target);
      return n;
    });
  }

  @Override
  public CompletionStage<Long> fromDevice(GpuBuffer source, List<ByteBuffer> targets) {
    return copy(source, (device, at) -> {
      long n = 0;
      for (ByteBuffer b : targets) {
        int len = (int) Math.min(b.remaining(), source.length() - n);
        b.put(device, (int) (at + n), len);
        n += len;
      }
      return n;
    });
  }

  private interface Copy {
    long run(byte[] device, long at);
  }

  private CompletionStage<Long> copy(GpuBuffer range, Copy copy) {
    if (!available) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, "no GPU"));
    }
    byte[] device = memoryOf(range.ipcHandle());
    if (device == null || range.offset() + range.length() > device.length) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST, "bad GPU range " + range));
    }
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    return CompletableFuture.supplyAsync(() -> {
      try {
        return copy.run(device, range.offset());
      } finally {
        inFlight.decrementAndGet();
      }
    }, later);
  }
}
