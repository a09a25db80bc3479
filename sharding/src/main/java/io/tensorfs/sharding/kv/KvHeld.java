package io.tensorfs.sharding.kv;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A block held for reading: its bytes stay where they are, unchanged, until it is closed (an eviction or a
 * re-put of its key waits for no reader, but reuses the memory only after the last close). Not thread-safe.
 */
public interface KvHeld extends AutoCloseable {
  /** The block's length in bytes. */
  long length();

  /**
   * The bytes in order, as read-only buffers: direct buffers over the cache's pinned pages where the block
   * lives there ({@link #pinned()}), heap buffers otherwise. Valid until {@link #close()}.
   */
  List<ByteBuffer> buffers();

  /** Whether {@link #buffers()} are direct buffers in memory registered for device copies. */
  boolean pinned();

  /** Releases the hold; idempotent. */
  @Override
  void close();
}
