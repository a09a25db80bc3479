package io.tensorfs.transport.internal;

import org.agrona.DirectBuffer;

/** Sends frames to one peer. Owned by the engine's agent thread. */
public interface Link {
  String endpoint();

  /**
   * Offers a frame made of {@code header} then {@code payloadLength} bytes of {@code payload} from
   * {@code payloadOffset} (none for a control frame). True when the frame was taken: both were copied
   * onto the wire (a publication's term, a connection's own buffer), so the header may be reused and the
   * payload's pages given back at once. False when the peer or the link is back-pressured: offer it
   * again later. {@code stripe} spreads data frames over the link's connections where it has several.
   * Allocates nothing.
   */
  boolean offer(int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength);

  /** Null while the link is usable, else why not (the peer went away, could not be reached). */
  String failure(long nowNs);

  void close();
}
