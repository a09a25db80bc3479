package io.tensorfs.transport.internal;

import org.agrona.DirectBuffer;

/** Receives what a {@link Wire} reads, on the engine's agent thread. */
public interface FrameHandler {
  /** One whole frame; the buffer is only valid during the call. */
  void onFrame(DirectBuffer buffer, int offset, int length);

  /** The wire saw the peer at {@code endpoint} go away. */
  void onPeerLost(String endpoint, String reason);
}
