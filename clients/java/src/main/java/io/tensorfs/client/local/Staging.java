package io.tensorfs.client.local;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;

/**
 * The channel's own shared segment, lent out in 64 KiB units to requests whose buffers are not in a
 * {@link SharedBuffer} and do not fit in their slot: the bytes are copied through it. A request larger than
 * the whole segment gets a segment of its own for its time. Thread-safe; a lender waits while it is full.
 */
final class Staging implements AutoCloseable {
  static final int DEFAULT_BYTES = 64 << 20;
  private static final int UNIT = 64 << 10;

  private final LocalChannel channel;
  private final SharedBuffer shared;
  private final int units;
  private final BitSet used;

  /** A range on loan: {@code length} bytes at {@code offset} of buffer {@code bufferId}, seen as {@code view}. */
  record Lease(int bufferId, long offset, ByteBuffer view, Runnable release) {}

  Staging(LocalChannel channel, SharedBuffer shared) {
    this.channel = channel;
    this.shared = shared;
    this.units = (int) (shared.sizeBytes() / UNIT);
    this.used = new BitSet(units);
  }

  /** Registers the staging segment with the node (once). */
  CompletableFuture<Integer> registered() {
    return channel.registerHost(shared.name(), shared.sizeBytes());
  }

  /** Lends {@code length} bytes, waiting while the segment is full; registers a segment of its own when larger. */
  CompletableFuture<Lease> lend(long length) {
    int need = (int) Math.max(1, (length + UNIT - 1) / UNIT);
    if (need > units) {
      SharedBuffer own = SharedBuffer.allocate(length);
      return channel.registerHost(own.name(), own.sizeBytes()).thenApply(id ->
          new Lease(id, 0, own.slice(0, (int) length), own::close));
    }
    return registered().thenApply(id -> {
      int first = take(need);
      return new Lease(id, (long) first * UNIT, shared.slice((long) first * UNIT, (int) length), () -> give(first, need));
    });
  }

  private synchronized int take(int need) {
    while (true) {
      for (int at = used.nextClearBit(0); at + need <= units; at = used.nextClearBit(at + 1)) {
        int busy = used.nextSetBit(at);
        if (busy < 0 || busy >= at + need) {
          used.set(at, at + need);
          return at;
        }
        at = busy;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for staging memory", e);
      }
    }
  }

  private synchronized void give(int first, int need) {
    used.clear(first, first + need);
    notifyAll();
  }

  @Override
  public void close() {
    shared.close();
  }
}
