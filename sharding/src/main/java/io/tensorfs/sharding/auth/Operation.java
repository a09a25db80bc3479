package io.tensorfs.sharding.auth;

import io.tensorfs.sharding.operator.HintOp;

/**
 * What a request does to a path, as far as {@link Access} cares. Reads and listings are allowed to every
 * role on its tenant; the rest changes something and needs {@code read-write} (or {@code admin}).
 *
 * <p>Cache hints: {@code willneed} is a read ({@link #WARM}): it only loads what the caller may read anyway
 * and changes nothing that others see but speed. {@code pin}, {@code unpin} and {@code dontneed} are
 * writes ({@link #CACHE_CONTROL}): they hold memory from every other file, release what another client
 * pinned, or throw out data other readers rely on.
 */
public enum Operation {
  /** GET/HEAD of a file, stat, a gRPC read or batch read, a checkpoint's manifest, listing or item. */
  READ(false),
  /** Listing a directory (the root only for an admin). */
  LIST(false),
  /** willneed: load into the cache. */
  WARM(false),
  /** PUT, a gRPC write or batch write, checkpoint begin, save, rank done, commit, abort, retain. */
  WRITE(true),
  /** Deleting a file or a checkpoint. */
  DELETE(true),
  /** pin, unpin, dontneed. */
  CACHE_CONTROL(true);

  private final boolean changes;

  Operation(boolean changes) {
    this.changes = changes;
  }

  /** True when the operation changes what is stored or cached: refused to {@code read-only}. */
  public boolean changes() {
    return changes;
  }

  /** The operation a cache hint is. */
  public static Operation of(HintOp hint) {
    return hint == HintOp.WILLNEED ? WARM : CACHE_CONTROL;
  }

  /** Lower-case words for messages: "read", "cache-control". */
  public String text() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
