package io.tensorfs.transport.internal;

import java.nio.ByteBuffer;

/**
 * One DATA payload that a wire reads from its socket straight into a fetch's target (cache pages), where
 * the engine then checks it: {@link #view} covers exactly the payload's place. A {@link FetchTarget} opens
 * it for the engine ({@link FrameHandler#landingFor}) and takes it back once the payload is in
 * ({@link FrameHandler#onLanded}); it is reused for later frames of the same target.
 *
 * <p>A landing stays {@link #live} until its target finishes. Everything runs on the engine's agent thread,
 * so a wire that finds its landing no longer live before a read reads the rest of the payload into its own
 * buffer and drops it: nothing is written into pages the target's caller already has back.
 */
final class Landing {
  final FetchTarget target;
  /** A view of the target; its position and limit are set to the payload's place when opened. */
  final ByteBuffer view;
  int position;
  int length;
  int crc;
  boolean live;

  Landing(FetchTarget target, ByteBuffer view) {
    this.target = target;
    this.view = view;
  }

  boolean live() {
    return live;
  }

  /** Whether {@code [position, position+length)} overlaps this landing's payload. */
  boolean overlaps(int position, int length) {
    return position < this.position + this.length && this.position < position + length;
  }
}
