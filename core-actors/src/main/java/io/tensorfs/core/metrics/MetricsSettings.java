package io.tensorfs.core.metrics;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The node's metrics, from {@code tensorfs.metrics}. Validated on construction. Immutable.
 *
 * @param enabled      false: every instrument is a no-op and no endpoint listens (for measuring what
 *                     metrics cost)
 * @param host         address the Prometheus endpoint listens on
 * @param port         its port; 0 takes any free one (the node writes it to {@code <data dir>/metrics.port})
 * @param tickInterval how often snapshots reach the endpoint and polled gauges are read
 * @param systemMetrics whether JVM and process metrics are collected
 */
public record MetricsSettings(boolean enabled, String host, int port, Duration tickInterval, boolean systemMetrics) {
  public MetricsSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("metrics port must be 0..65535, not " + port);
    if (tickInterval.isNegative() || tickInterval.isZero()) {
      throw new IllegalArgumentException("metrics tick-interval must be positive, not " + tickInterval);
    }
  }

  public static MetricsSettings fromConfig(Config config) {
    Config c = config.getConfig("tensorfs.metrics");
    return new MetricsSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"),
        c.getDuration("tick-interval"), c.getBoolean("system-metrics"));
  }
}
