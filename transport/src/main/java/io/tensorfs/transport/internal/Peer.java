package io.tensorfs.transport.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.agrona.ExpandableRingBuffer;

/**
 * The engine's view of one remote endpoint: its link and control frames waiting to be sent. Agent thread only,
 * but for {@link #flushCounts}.
 */
final class Peer {
  final String endpoint;
  final Link link;
  /**
   * Control frames the link refused for now (back-pressure), copied into one growing direct ring (no
   * allocation per frame once it has grown to what the link backs up); sent in order before any newer one.
   */
  final ExpandableRingBuffer pendingControl = new ExpandableRingBuffer(4096, ExpandableRingBuffer.MAX_CAPACITY, true);
  /** Frames in {@link #pendingControl}. */
  int pendingFrames;
  /** Transfers in flight with this peer. */
  int transfers;
  /** When the last transfer with this peer ended; an unused peer's link is closed after a while. */
  long idleSinceNs;

  /**
   * Frames and bytes to and from this peer, and offers it refused for now (retried later): running totals
   * the agent adds to for every frame. It publishes them once a tick ({@link #publishCounts}), and another
   * thread hands them to the metrics counters ({@link #flushCounts}). Those counters are striped adders that
   * other threads may share (another engine in the same JVM), and a striped adder allocates its cells the
   * first times two threads meet on it: that must not happen on the agent thread.
   */
  long sentFrames;
  long sentBytes;
  long receivedFrames;
  long receivedBytes;
  long backPressured;

  /** {@link #flushCounts}, made once: queued for the engine's waker thread every tick. */
  final Runnable flushTask = this::flushCounts;
  /** The totals as of the last {@link #publishCounts}, in {@link #counters}' order. */
  private final AtomicLongArray published = new AtomicLongArray(5);
  /** What {@link #flushCounts} has handed to each counter so far. */
  private final long[] flushed = new long[5];
  private final Counter[] counters;

  Peer(String endpoint, Link link) {
    this.endpoint = endpoint;
    this.link = link;
    Tags tags = Tags.of("peer", address(endpoint));
    this.counters = new Counter[] {
        Metrics.counter("tensorfs.transport.sent-frames", "Frames sent to a peer", Unit.NONE, tags),
        Metrics.counter("tensorfs.transport.sent", "Bytes of frames sent to a peer", Unit.BYTES, tags),
        Metrics.counter("tensorfs.transport.received-frames", "Frames received from a peer", Unit.NONE, tags),
        Metrics.counter("tensorfs.transport.received", "Bytes of frames received from a peer", Unit.BYTES, tags),
        Metrics.counter("tensorfs.transport.resends", "Frames a peer's link refused for now (back-pressure) and that are offered again", Unit.NONE, tags)};
  }

  /**
   * Agent thread, once a tick and before the peer goes: makes the running totals visible to {@link #flushCounts}.
   * Returns whether any moved since the last call.
   */
  boolean publishCounts() {
    return publish(0, sentFrames) | publish(1, sentBytes) | publish(2, receivedFrames) | publish(3, receivedBytes)
        | publish(4, backPressured);
  }

  private boolean publish(int i, long total) {
    if (published.get(i) == total) return false;
    published.lazySet(i, total);
    return true;
  }

  /** Hands what was published and not yet counted to the metrics counters. Any thread; never the agent's while it runs. */
  synchronized void flushCounts() {
    for (int i = 0; i < counters.length; i++) {
      long total = published.get(i);
      if (total > flushed[i]) {
        counters[i].increment(total - flushed[i]);
        flushed[i] = total;
      }
    }
  }

  /**
   * The peer's address for its metrics' label: the endpoint without its query (an Aeron endpoint names the
   * peer's media driver and IPC session there, which change whenever the peer restarts).
   */
  static String address(String endpoint) {
    int query = endpoint.indexOf('?');
    return query < 0 ? endpoint : endpoint.substring(0, query);
  }
}
