package io.tensorfs.client.local;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The channel's own shared segment, lent out in 64 KiB units to requests whose buffers are not in a
 * {@link SharedBuffer} and do not fit in their slot: the bytes are copied through it. A request larger than
 * the whole segment gets a segment of its own for its time. Thread-safe; a lender's request waits (without blocking a thread) while the segment is full.
 */
final class Staging implements AutoCloseable {
  static final int DEFAULT_BYTES = 64 << 20;
  private static final int UNIT = 64 << 10;

  private final LocalChannel channel;
  private final SharedBuffer shared;
  private final int units;
  private final BitSet used;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

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

  /**
   * Lends room for every one of {@code lengths} at once, waiting while the segment lacks it; a request whose
   * whole need is larger than the segment gets a segment of its own. All or nothing, so that two requests
   * never each hold part of the room that both wait for. The leases' releases give the room back together.
   */
  CompletableFuture<List<Lease>> lendAll(List<Long> lengths) {
    long need = 0;
    for (long length : lengths) need += Math.max(1, (length + UNIT - 1) / UNIT);
    if (need > units) {
      SharedBuffer own = SharedBuffer.allocate(need * UNIT);
      Runnable release = () -> channel.unregisterHost(own.name()).whenComplete((x, e) -> own.close());
      return channel.registerHost(own.name(), own.sizeBytes()).thenApply(id -> leases(id, 0, own, lengths, release));
    }
    int units = (int) need;
    return registered().thenCompose(id -> take(units)
        .thenApply(first -> leases(id, first, shared, lengths, () -> give(first, units))));
  }

  /** Consecutive leases from unit {@code first} of {@code in}; {@code release} runs once, at the first release. */
  private static List<Lease> leases(int bufferId, int first, SharedBuffer in, List<Long> lengths, Runnable release) {
    AtomicBoolean released = new AtomicBoolean();
    Runnable once = () -> {
      if (released.compareAndSet(false, true)) release.run();
    };
    List<Lease> out = new ArrayList<>(lengths.size());
    long at = (long) first * UNIT;
    for (long length : lengths) {
      out.add(new Lease(bufferId, at, in.slice(at, (int) length), once));
      at += Math.max(1, (length + UNIT - 1) / UNIT) * UNIT;
    }
    return out;
  }

  /**
   * The first unit of {@code need} free units, taken: at once when they are free and nobody waits before,
   * else when releases free them (first come, first served). Never blocks the calling thread, which may be
   * the one that reaps the completions that free the room.
   */
  private CompletableFuture<Integer> take(int need) {
    synchronized (this) {
      if (waiters.isEmpty()) {
        int at = free(need);
        if (at >= 0) {
          used.set(at, at + need);
          return CompletableFuture.completedFuture(at);
        }
      }
      Waiter w = new Waiter(need, new CompletableFuture<>());
      waiters.add(w);
      return w.first();
    }
  }

  private void give(int first, int need) {
    List<Runnable> ready = new ArrayList<>();
    synchronized (this) {
      used.clear(first, first + need);
      while (!waiters.isEmpty()) {
        Waiter w = waiters.peek();
        int at = free(w.need());
        if (at < 0) break;
        used.set(at, at + w.need());
        waiters.poll();
        ready.add(() -> w.first().complete(at));
      }
    }
    // Off this thread: a waiter goes on to submit its request, which must not hold up the releasing reaper.
    for (Runnable r : ready) CompletableFuture.runAsync(r);
  }

  /** The first of {@code need} consecutive free units, or -1. Under the lock. */
  private int free(int need) {
    for (int at = used.nextClearBit(0); at + need <= units; at = used.nextClearBit(at + 1)) {
      int busy = used.nextSetBit(at);
      if (busy < 0 || busy >= at + need) return at;
      at = busy;
    }
    return -1;
  }

  private record Waiter(int need, CompletableFuture<Integer> first) {}

  @Override
  public void close() {
    shared.close();
  }
}
