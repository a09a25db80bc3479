package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.memory.Page;
import io.tensorfs.core.memory.PagePool;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The buffers that GPU writes stage device bytes through on their way to the write path. They are
 * pages of the node's page pool when one is free (pinned with the driver, so the device-to-host copy
 * runs at the PCIe limit), else plain direct buffers, kept for reuse up to {@code keep} idle ones.
 * Thread-safe.
 */
public final class StagingBuffers {
  /** A buffer on loan; {@link #release()} gives it back, once. */
  public record Loan(ByteBuffer buffer, Runnable onRelease) {
    public void release() {
      onRelease.run();
    }
  }

  private final PagePool pages;
  private final int bufferBytes;
  private final int keep;
  private final ConcurrentLinkedQueue<ByteBuffer> idle = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleCount = new AtomicInteger();

  /** {@code pages}: the node's page pool, or null to use plain direct buffers only. */
  public StagingBuffers(PagePool pages, int bufferBytes, int keep) {
    this.pages = pages;
    this.bufferBytes = pages == null ? bufferBytes : Math.min(bufferBytes, pages.pageBytes());
    this.keep = keep;
  }

  public StagingBuffers(int bufferBytes, int keep) {
    this(null, bufferBytes, keep);
  }

  public int bufferBytes() {
    return bufferBytes;
  }

  public Loan acquire() {
    Page page = pages == null ? null : pages.tryAcquire();
    if (page != null) return new Loan(page.buffer().limit(bufferBytes), page::release);
    ByteBuffer b = idle.poll();
    if (b == null) {
      b = ByteBuffer.allocateDirect(bufferBytes);
    } else {
      idleCount.decrementAndGet();
      b.clear();
    }
    ByteBuffer own = b;
    return new Loan(own, () -> keep(own));
  }

  private void keep(ByteBuffer b) {
    if (idleCount.incrementAndGet() <= keep) {
      idle.offer(b.clear());
    } else {
      idleCount.decrementAndGet();
    }
  }
}
