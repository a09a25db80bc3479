package io.tensorfs.sharding.tenant;

import io.tensorfs.core.CborSerializable;
import java.util.OptionalLong;

/**
 * A change to a tenant's quota: each limit is either kept as it is or set (to a value, or to none: no
 * limit). Immutable.
 *
 * @param setBytes whether {@code maxBytes} replaces the byte limit (else it is kept)
 * @param maxBytes the new byte limit; empty: no limit
 * @param setFiles whether {@code maxFiles} replaces the file limit (else it is kept)
 * @param maxFiles the new file limit; empty: no limit
 */
public record QuotaChange(boolean setBytes, OptionalLong maxBytes, boolean setFiles, OptionalLong maxFiles)
    implements CborSerializable {
  public QuotaChange {
    if (maxBytes.isPresent() && maxBytes.getAsLong() < 0) throw new IllegalArgumentException("maxBytes < 0");
    if (maxFiles.isPresent() && maxFiles.getAsLong() < 0) throw new IllegalArgumentException("maxFiles < 0");
  }

  /** Sets both limits (empty: no limit). */
  public static QuotaChange of(OptionalLong maxBytes, OptionalLong maxFiles) {
    return new QuotaChange(true, maxBytes, true, maxFiles);
  }
}
