package io.tensorfs.transport.internal;

import java.util.ArrayDeque;

/** The engine's view of one remote endpoint: its link and control frames waiting to be sent. Agent thread only. */
final class Peer {
  final String endpoint;
  final Link link;
  /** Control frames the link refused for now (back-pressure); sent in order before any newer one. */
  final ArrayDeque<byte[]> pendingControl = new ArrayDeque<>();
  /** Transfers in flight with this peer. */
  int transfers;
  /** When the last transfer with this peer ended; an unused peer's link is closed after a while. */
  long idleSinceNs;

  Peer(String endpoint, Link link) {
    this.endpoint = endpoint;
    this.link = link;
  }
}
