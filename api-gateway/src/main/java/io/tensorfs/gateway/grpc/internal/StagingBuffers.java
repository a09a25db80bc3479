package io.tensorfs.gateway.grpc.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers that GPU transfers stage bytes through, reused rather than allocated per transfer.
 * At most {@code keep} idle buffers are held; more are allocated under load and left to the collector
 * when returned. Thread-safe.
 */
public final class StagingBuffers {
  private final int bufferBytes;
  private final int keep;
  private final ConcurrentLinkedQueue<ByteBuffer> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  public StagingBuffers(int bufferBytes, int keep) {
    this.bufferBytes = bufferBytes;
    this.keep = keep;
  }

  public int bufferBytes() {
    return bufferBytes;
  }

  public ByteBuffer acquire() {
    ByteBuffer b = idle.poll();
    if (b == null) return ByteBuffer.allocateDirect(bufferBytes);
    idleCount.decrementAndGet();
    return b.clear();
  }

  public void release(ByteBuffer b) {
    if (idleCount.incrementAndGet() <= keep) {
      idle.offer(b.clear());
    } else {
      idleCount.decrementAndGet();
    }
  }
}
