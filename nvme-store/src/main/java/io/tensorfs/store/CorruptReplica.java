package io.tensorfs.store;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsPath;
import java.util.Optional;

/**
 * A replica whose bytes failed their check on a store: a block's CRC32C, a damaged checksum table, or a
 * data file of another length than its table records. Immutable.
 *
 * @param storeId the store holding the replica (its id on this node)
 * @param owner   the path the replica's file version was written for, when its owner file could be read
 * @param reason  what failed, for logs
 */
public record CorruptReplica(String storeId, ChunkId chunk, Optional<TfsPath> owner, String reason) {
  /**
   * Hears of every corrupt replica a store finds, on whichever reader finds it (a read, a fetch for
   * another node, the scrubber): it is told on the store's I/O thread, so it must only hand the work
   * on, never block. It may be told of one replica many times.
   */
  @FunctionalInterface
  public interface Listener {
    /** A listener that hears nothing: the stores of a test, or a node without metadata. */
    Listener NONE = report -> {};

    void found(CorruptReplica report);
  }
}
