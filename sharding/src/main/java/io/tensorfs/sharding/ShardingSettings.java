package io.tensorfs.sharding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The sharding module's settings, read once from {@code tensorfs.sharding} (and the node's id from
 * {@code tensorfs.node.id}, "node-1" when unset).
 *
 * @param askTimeout how long a metadata call waits for an entity before failing UNAVAILABLE
 */
public record ShardingSettings(Duration askTimeout, String nodeId) {
  public ShardingSettings {
    if (askTimeout.isNegative() || askTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.sharding.ask-timeout must be positive");
    }
    if (nodeId == null || nodeId.isBlank()) throw new IllegalArgumentException("tensorfs.node.id is blank");
  }

  public static ShardingSettings from(Config config) {
    Duration askTimeout = config.getDuration("tensorfs.sharding.ask-timeout");
    String nodeId = config.hasPath("tensorfs.node.id") ? config.getString("tensorfs.node.id") : "node-1";
    return new ShardingSettings(askTimeout, nodeId);
  }
}
