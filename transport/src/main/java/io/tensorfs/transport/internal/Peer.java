package io.tensorfs.transport.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import org.agrona.ExpandableRingBuffer;

/** The engine's view of one remote endpoint: its link and control frames waiting to be sent. Agent thread only. */
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

  /** Frames and bytes to and from this peer, and offers it refused for now (retried later). */
  final Counter sentFrames;
  final Counter sentBytes;
  final Counter receivedFrames;
  final Counter receivedBytes;
  final Counter backPressured;

  Peer(String endpoint, Link link) {
    this.endpoint = endpoint;
    this.link = link;
    Tags tags = Tags.of("peer", address(endpoint));
    this.sentFrames = Metrics.counter("tensorfs.transport.sent-frames", "Frames sent to a peer", Unit.NONE, tags);
    this.sentBytes = Metrics.counter("tensorfs.transport.sent", "Bytes of frames sent to a peer", Unit.BYTES, tags);
    this.receivedFrames = Metrics.counter("tensorfs.transport.received-frames", "Frames received from a peer", Unit.NONE, tags);
    this.receivedBytes = Metrics.counter("tensorfs.transport.received", "Bytes of frames received from a peer", Unit.BYTES, tags);
    this.backPressured = Metrics.counter("tensorfs.transport.resends", "Frames a peer's link refused for now (back-pressure) and that are offered again", Unit.NONE, tags);
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
