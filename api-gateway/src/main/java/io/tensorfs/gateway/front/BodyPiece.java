package io.tensorfs.gateway.front;

import java.nio.ByteBuffer;

/**
 * A run of body bytes in off-heap memory, written to the socket without a copy into the Java heap.
 * The writer consumes the buffers (their positions advance): hand out slices or duplicates of shared pages.
 */
public interface BodyPiece {
  /** Direct buffers, written in order with gathering writes; their remaining bytes are the piece. */
  ByteBuffer[] buffers();

  /** Called exactly once, after its bytes were written or the connection failed. */
  void release();
}
