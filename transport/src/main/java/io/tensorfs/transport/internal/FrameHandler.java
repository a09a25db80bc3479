package io.tensorfs.transport.internal;

import org.agrona.DirectBuffer;

/** Receives what a {@link Wire} reads, on the engine's agent thread. */
public interface FrameHandler {
  /** One whole frame; the buffer is only valid during the call. */
  void onFrame(DirectBuffer buffer, int offset, int length);

  /** The wire saw the peer at {@code endpoint} go away. */
  void onPeerLost(String endpoint, String reason);

  /**
   * A wire that reads a frame's payload apart from its header may ask, once a DATA frame's header
   * ({@link Frames#DATA_HEADER_BYTES}) is in and none of its payload yet, where the payload goes: a
   * {@link Landing} in the fetch's target (the wire then reads the payload into its view and calls
   * {@link #onLanded}), or null, and the wire reads the whole frame and hands it to {@link #onFrame}
   * (frames of streamed transfers, and any frame the checks of {@code onFrame} would refuse).
   */
  default Landing landingFor(DirectBuffer header, int offset) {
    return null;
  }

  /**
   * The payload of the frame whose header is at {@code offset} was read whole into {@code landing}'s view
   * (or, the landing no longer live, read and dropped).
   */
  default void onLanded(DirectBuffer header, int offset, Landing landing) {}

  /** The connection reading into {@code landing} was lost before the payload was in. */
  default void onLandingLost(Landing landing) {}
}
