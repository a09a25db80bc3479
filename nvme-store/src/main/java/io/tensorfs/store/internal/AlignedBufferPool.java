package io.tensorfs.store.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers of one size whose address and capacity are multiples of the device alignment, as
 * O_DIRECT requires. Allocating and zeroing a direct buffer is slow, so released buffers are kept
 * (at most {@code maxPooled}) for the next taker. Thread-safe.
 */
public final class AlignedBufferPool {
  private final int bytes;
  private final int align;
  private final int maxPooled;
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pooled = new AtomicInteger();

  /** {@code bytes} must be a multiple of {@code align}, a power of two. */
  public AlignedBufferPool(int bytes, int align, int maxPooled) {
    if (Integer.bitCount(align) != 1 || bytes <= 0 || bytes % align != 0) {
      throw new IllegalArgumentException(bytes + " bytes aligned to " + align);
    }
    this.bytes = bytes;
    this.align = align;
    this.maxPooled = maxPooled;
  }

  public int bufferBytes() {
    return bytes;
  }

  /** A cleared buffer of {@link #bufferBytes()}; give it back with {@link #release}. */
  public ByteBuffer acquire() {
    ByteBuffer b = free.poll();
    if (b == null) return allocate(bytes, align);
    pooled.decrementAndGet();
    return b.clear();
  }

  public void release(ByteBuffer buffer) {
    if (buffer == null) return;
    if (pooled.incrementAndGet() <= maxPooled) {
      free.offer(buffer);
    } else {
      pooled.decrementAndGet();
    }
  }

  /** A direct buffer of exactly {@code bytes} starting at an address that is a multiple of {@code align}. */
  public static ByteBuffer allocate(int bytes, int align) {
    return ByteBuffer.allocateDirect(bytes + align).alignedSlice(align).limit(bytes).slice();
  }
}
