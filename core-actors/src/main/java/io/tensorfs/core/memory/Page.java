package io.tensorfs.core.memory;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One page of a {@link PagePool}: a fixed range of off-heap memory that never moves. A page handed out
 * is reference counted: it comes with one reference, {@link #retain()} adds one, {@link #release()}
 * drops one, and the last release gives the page back to the pool. Thread-safe.
 */
public final class Page {
  private final PagePool pool;
  private final int index;
  private final ByteBuffer memory;
  private final long address;
  private final AtomicInteger refs = new AtomicInteger();

  Page(PagePool pool, int index, ByteBuffer memory, long address) {
    this.pool = pool;
    this.index = index;
    this.memory = memory;
    this.address = address;
  }

  /** This page's place in the pool, 0 to {@code pageCount() - 1}. */
  public int index() {
    return index;
  }

  /** A fresh view of the whole page: position 0, limit the page size. The memory is shared. */
  public ByteBuffer buffer() {
    return memory.duplicate();
  }

  /** The address of the page's first byte; a multiple of the page size. */
  public long address() {
    return address;
  }

  /** References held now; 0 while the page is free in the pool. */
  public int refCount() {
    return refs.get();
  }

  /**
   * Adds a reference. Returns this page.
   *
   * @throws IllegalStateException when the page is free (its holders have all released it)
   */
  public Page retain() {
    while (true) {
      int n = refs.get();
      if (n <= 0) throw new IllegalStateException("page " + index + " is free: it cannot be retained");
      if (refs.compareAndSet(n, n + 1)) return this;
    }
  }

  /**
   * Drops a reference; the last one gives the page back to the pool.
   *
   * @throws IllegalStateException when the page holds no reference (released more than retained)
   */
  public void release() {
    while (true) {
      int n = refs.get();
      if (n <= 0) throw new IllegalStateException("page " + index + " released more often than retained");
      if (refs.compareAndSet(n, n - 1)) {
        if (n == 1) pool.giveBack(this);
        return;
      }
    }
  }

  /** Called by the pool when it hands the page out. */
  void handOut() {
    if (!refs.compareAndSet(0, 1)) throw new IllegalStateException("page " + index + " handed out twice");
  }

  @Override
  public String toString() {
    return "Page(" + index + ", refs " + refs.get() + ")";
  }
}
