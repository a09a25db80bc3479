package io.tensorfs.sharding.replication;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct, aligned buffers that a chunk served from a store (not resident in the cache) is read into with
 * O_DIRECT and lent to the transport from, so its bytes go from the disk to the wire without a heap copy.
 * A buffer goes back here when the transport released the run lent from it; at most {@code keep} idle
 * buffers are kept, more in use at once are made and left to the collector after use (as is one a
 * cancelled stream dropped). A fetch holds at most its reads in flight and the runs its transfer's outbox
 * holds, so the memory in use follows the fetches being served.
 *
 * <p>Thread-safe (a monitor; one take and one give per segment read, never per frame; {@link #give} may
 * run on the transport's agent thread and never blocks).
 */
final class ServeBuffers {
  /** O_DIRECT alignment a buffer starts on (a multiple of every device's logical block in use). */
  private static final int ALIGN = 4096;

  private final int bytes;
  private final int keep;
  private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();

  ServeBuffers(int bytes, int keep) {
    this.bytes = bytes;
    this.keep = keep;
  }

  /** Bytes of one buffer. */
  int bytes() {
    return bytes;
  }

  /** A cleared buffer of {@link #bytes()}, aligned for O_DIRECT. */
  synchronized ByteBuffer take() {
    ByteBuffer b = idle.pollFirst();
    if (b == null) b = ByteBuffer.allocateDirect(bytes + ALIGN).alignedSlice(ALIGN).limit(bytes).slice();
    return b.clear();
  }

  /** Gives back a buffer {@link #take} answered, once. */
  synchronized void give(ByteBuffer b) {
    if (idle.size() < keep) idle.addFirst(b);
  }
}
