package io.tensorfs.sharding.drain;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of drains ({@code tensorfs.sharding.drain}).
 *
 * @param pollInterval how often each node reads its own drain state from its entity
 * @param askTimeout   how long a call to a drain entity, or to the other nodes' repair triggers, waits
 */
public record DrainSettings(Duration pollInterval, Duration askTimeout) {
  public DrainSettings {
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("tensorfs.sharding.drain.poll-interval must be positive");
    }
    if (askTimeout.isNegative() || askTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.sharding.drain.ask-timeout must be positive");
    }
  }

  public static DrainSettings from(Config config) {
    Config c = config.getConfig("tensorfs.sharding.drain");
    return new DrainSettings(c.getDuration("poll-interval"), c.getDuration("ask-timeout"));
  }
}
