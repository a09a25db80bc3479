package io.tensorfs.sharding.auth;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;

/**
 * What a token may do: {@link #ADMIN} everything, on every tenant; {@link #READ_WRITE} and {@link #READ_ONLY}
 * act on one tenant's paths only (see {@link Access}). Wire names {@code admin}, {@code read-write},
 * {@code read-only}.
 */
public enum Role {
  ADMIN("admin"), READ_WRITE("read-write"), READ_ONLY("read-only");

  private final String wire;

  Role(String wire) {
    this.wire = wire;
  }

  /** The name on the wire and in the launcher: {@code admin}, {@code read-write}, {@code read-only}. */
  public String wire() {
    return wire;
  }

  /** The role named {@code text} on the wire; BAD_REQUEST for any other name. */
  public static Role parse(String text) {
    for (Role r : values()) if (r.wire.equals(text)) return r;
    throw new TfsException(ErrorCode.BAD_REQUEST, "role must be admin, read-write or read-only, not '" + text + "'");
  }
}
