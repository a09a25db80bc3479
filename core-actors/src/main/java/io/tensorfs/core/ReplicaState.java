package io.tensorfs.core;

/** The state of one replica of a chunk, as the chunk's entity records it. */
public enum ReplicaState {
  /** Placed; bytes are being written. */
  WRITING,
  /** Holds the committed bytes. */
  CLEAN,
  /** Holds an older or partial version: not to be read. */
  STALE,
  /** Expected but not found by its store's scan at start. */
  MISSING,
  /**
   * Its bytes failed their CRC32C on its store (found by a read or the scrubber): read only as a last
   * resort, block by block verified, until it is re-created from a clean replica and CLEAN again.
   */
  CORRUPT
}
