package io.tensorfs.transport.internal;

import org.agrona.DirectBuffer;

/** Sends frames to one peer. Owned by the engine's agent thread. */
public interface Link {
  String endpoint();

  /**
   * Offers a frame made of {@code header} then {@code payload} (which may be empty). True when the
   * frame was taken: the header may be reused at once, the payload array must stay unchanged (it is
   * an immutable ByteString's). False when the peer or the link is back-pressured: offer it again
   * later. {@code stripe} spreads data frames over the link's connections where it has several.
   */
  boolean offer(int stripe, DirectBuffer header, int headerLength, byte[] payload, int payloadOffset, int payloadLength);

  /** Null while the link is usable, else why not (the peer went away, could not be reached). */
  String failure(long nowNs);

  void close();
}
