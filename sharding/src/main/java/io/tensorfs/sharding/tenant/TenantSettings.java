package io.tensorfs.sharding.tenant;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of tenant quotas, read once from {@code tensorfs.tenants} and validated. Immutable.
 *
 * @param askTimeout        how long a call to a tenant's entity waits before failing UNAVAILABLE
 * @param reservationLease  how long a write's reservation lives without being renewed; a write renews
 *                          it whenever a third of this has passed since it last spoke to the entity
 * @param reserveAheadBytes a write whose length is not declared reserves this many bytes beyond what it
 *                          has received, so it asks the entity once per this many bytes, not per piece
 */
public record TenantSettings(Duration askTimeout, Duration reservationLease, long reserveAheadBytes) {
  public TenantSettings {
    if (!positive(askTimeout)) throw new IllegalArgumentException("tensorfs.tenants.ask-timeout must be positive");
    if (!positive(reservationLease)) {
      throw new IllegalArgumentException("tensorfs.tenants.reservation-lease must be positive");
    }
    if (reserveAheadBytes < 1) throw new IllegalArgumentException("tensorfs.tenants.reserve-ahead must be positive");
  }

  public static TenantSettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.tenants");
    return new TenantSettings(c.getDuration("ask-timeout"), c.getDuration("reservation-lease"),
        c.getBytes("reserve-ahead"));
  }

  /** How long a write may go without speaking to its tenant's entity before it renews its reservation. */
  public Duration renewAfter() {
    return reservationLease.dividedBy(3);
  }

  private static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }
}
