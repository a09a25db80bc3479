package io.tensorfs.transport.internal;

import io.tensorfs.transport.PageRun;
import org.agrona.DirectBuffer;
import org.slf4j.LoggerFactory;

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

  /**
   * Offers a data frame as {@link #offer(int, DirectBuffer, int, DirectBuffer, int, int)} does, and when
   * it is taken, takes over {@code releaseWhenSent} (null: none): the run the payload is a view of,
   * released once the link reads none of the payloads it took so far. A wire that copies every payload
   * (Aeron, TCP) releases it at once; one that sends payloads from where they lie (RDMA from registered
   * pages) releases it after the send completed. The header may be reused at once either way. Allocates
   * nothing.
   */
  default boolean offer(
      int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength, PageRun releaseWhenSent) {
    if (!offer(stripe, header, headerLength, payload, payloadOffset, payloadLength)) return false;
    if (releaseWhenSent != null) release(releaseWhenSent);
    return true;
  }

  /**
   * Runs {@code action} on the engine's thread once the link reads none of the payloads it took so far
   * (at once on a wire that copies them): the end of a transfer whose pages the link may still be sending
   * from waits for it.
   */
  default void afterSent(Runnable action) {
    action.run();
  }

  /** Null while the link is usable, else why not (the peer went away, could not be reached). */
  String failure(long nowNs);

  void close();

  /** Gives a run back, logging (not throwing) what its owner threw. */
  static void release(PageRun run) {
    try {
      run.release();
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(Link.class).error("releasing the pages of a sent frame failed", e);
    }
  }
}
