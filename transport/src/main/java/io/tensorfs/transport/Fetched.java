package io.tensorfs.transport;

import io.tensorfs.core.TfsException;

/**
 * What a {@link Transport#fetchInto} moved: {@code bytes} written and verified from the start of its target,
 * in order, and the failure that stopped it before the end, if any. With no failure, fewer bytes than the
 * target had room for means the chunk ended there.
 *
 * @param failure null when the fetch ran to its end; otherwise why it stopped at {@code bytes}
 */
public record Fetched(int bytes, TfsException failure) {
  public Fetched {
    if (bytes < 0) throw new IllegalArgumentException("negative byte count " + bytes);
  }

  public boolean complete() {
    return failure == null;
  }
}
