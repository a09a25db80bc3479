package io.tensorfs.transport.internal;

/**
 * The frame-moving half of a transport (Aeron or TCP): it sends whole frames to peers through
 * {@link Link}s and hands whole received frames to a {@link FrameHandler}. Owned by the engine's
 * agent thread: every method is called from that thread only.
 */
public interface Wire extends AutoCloseable {
  /** {@code aeron-udp}, {@code aeron-ipc} or {@code tcp}. */
  String kind();

  /** What peers pass to reach this wire. */
  String localEndpoint();

  /**
   * The largest DATA payload sent to {@code endpoint} in one frame. Unlike the other methods this one
   * is a pure function of the endpoint, callable from any thread.
   */
  int maxPayloadBytes(String endpoint);

  /** A new link to {@code endpoint}; throws TfsException BAD_REQUEST for an endpoint this wire cannot reach. */
  Link link(String endpoint);

  /** Reads what has arrived and does the wire's own housekeeping; returns the work done (0 when idle). */
  int poll(FrameHandler handler, long nowNs);

  @Override
  void close();
}
