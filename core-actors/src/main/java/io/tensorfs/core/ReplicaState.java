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
  MISSING
}
