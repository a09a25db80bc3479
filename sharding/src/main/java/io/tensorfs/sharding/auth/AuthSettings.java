package io.tensorfs.sharding.auth;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The authentication settings, read once from {@code tensorfs.auth}.
 *
 * @param enabled          false: every request acts as admin (only for comparing speed with auth on)
 * @param adminTokenFile   where the node finds, or else writes, the admin token; empty: none
 * @param refreshInterval  how often each node reloads every token from the metadata store (a revocation
 *                         reaches a node within this plus one metadata call)
 * @param unknownTokenTtl  how long an id the metadata store does not know is refused without asking again
 * @param lookupsPerSecond how many unknown ids per second a node may look up in the metadata store
 * @param askTimeout       how long a call to the tokens' entity waits
 */
public record AuthSettings(boolean enabled, Optional<Path> adminTokenFile, Duration refreshInterval,
    Duration unknownTokenTtl, int lookupsPerSecond, Duration askTimeout) {

  public AuthSettings {
    if (refreshInterval.isNegative() || refreshInterval.isZero() || refreshInterval.toMillis() > 1000) {
      throw new IllegalArgumentException("tensorfs.auth.refresh-interval must be positive and at most 1s");
    }
    if (unknownTokenTtl.isNegative()) throw new IllegalArgumentException("tensorfs.auth.unknown-token-ttl is negative");
    if (lookupsPerSecond < 1) throw new IllegalArgumentException("tensorfs.auth.lookups-per-second must be at least 1");
    if (askTimeout.isNegative() || askTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.auth.ask-timeout must be positive");
    }
  }

  public static AuthSettings from(Config config) {
    Config c = config.getConfig("tensorfs.auth");
    String file = c.getString("admin-token-file");
    return new AuthSettings(c.getBoolean("enabled"), file.isBlank() ? Optional.empty() : Optional.of(Path.of(file)),
        c.getDuration("refresh-interval"), c.getDuration("unknown-token-ttl"), c.getInt("lookups-per-second"),
        c.getDuration("ask-timeout"));
  }
}
