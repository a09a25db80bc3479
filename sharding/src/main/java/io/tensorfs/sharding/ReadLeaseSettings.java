package io.tensorfs.sharding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code tensorfs.sharding.read-lease} and {@code tensorfs.sharding.version-cache}: how long a node may
 * answer reads of a path from the version it was last told, without asking the path's entity.
 *
 * @param lease      how long a version a node was given stays usable there, counted on the node from
 *     when it sent its ask (on the entity, from when it answered, so the node's lease always ends first);
 *     zero turns the version cache off (every read asks, and entities never wait for holders)
 * @param maxEntries versions (and recent invalidations) one node keeps at most
 */
public record ReadLeaseSettings(Duration lease, int maxEntries) {
  public ReadLeaseSettings {
    if (lease.isNegative()) throw new IllegalArgumentException("tensorfs.sharding.read-lease must not be negative");
    if (maxEntries < 1) throw new IllegalArgumentException("tensorfs.sharding.version-cache.max-entries must be positive");
  }

  public static ReadLeaseSettings from(Config config) {
    return new ReadLeaseSettings(config.getDuration("tensorfs.sharding.read-lease"),
        config.getInt("tensorfs.sharding.version-cache.max-entries"));
  }

  /** Whether reads are answered from the version cache at all. */
  public boolean enabled() {
    return !lease.isZero();
  }

  public long leaseNanos() {
    return lease.toNanos();
  }
}
