package io.tensorfs.transport;

import java.nio.ByteBuffer;
import org.apache.pekko.util.ByteString;

/**
 * A run of a chunk's bytes lent to the transport without a copy: a read-only view of cache pages (or of
 * bytes read from a store) that stays valid until {@link #release()}. The transport frames it straight
 * from {@link #bytes()} and releases it once no frame of it is read any more: on Aeron and TCP, once its
 * last frame has been copied onto the wire; on RDMA, once the SEND of its last frame completed, whether
 * that frame's payload was sent from the page or copied into the ring (earlier frames of the run may be
 * sent from the page, and completions arrive in post order). A run the transfer ended without sending
 * (or a frame fault injection dropped) goes back once the sends posted before then completed (at once on
 * Aeron and TCP). Whoever takes a run from a {@link ChunkService#readPages} source releases it exactly
 * once.
 *
 * <p>{@link #release()} may run on the transport's agent thread: it must be quick, never block, and is
 * called from one thread at a time.
 */
public interface PageRun {
  /** The bytes, from the buffer's position to its limit; read-only, and unchanged until released. */
  ByteBuffer bytes();

  /** Gives the bytes back to their owner (the cache's pages); called exactly once. */
  void release();

  /** A run over bytes nobody needs back (a heap copy): releasing it does nothing. */
  static PageRun unheld(ByteBuffer bytes) {
    return new Unheld(bytes.asReadOnlyBuffer());
  }

  /** A run over a ByteString's bytes; a ByteString of several parts is copied into one first. */
  static PageRun of(ByteString bytes) {
    return new Unheld(bytes.asByteBuffer());
  }

  /** A run over bytes held by their owner; {@code release} gives them back. */
  static PageRun held(ByteBuffer bytes, Runnable release) {
    ByteBuffer view = bytes.asReadOnlyBuffer();
    return new PageRun() {
      @Override
      public ByteBuffer bytes() {
        return view;
      }

      @Override
      public void release() {
        release.run();
      }
    };
  }

  /** See {@link #unheld}. */
  record Unheld(ByteBuffer bytes) implements PageRun {
    @Override
    public void release() {
      // a copy: nothing to give back
    }
  }
}
