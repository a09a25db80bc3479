package io.tensorfs.sharding.admin;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The admin views' settings, from {@code tensorfs.admin}.
 *
 * @param nodeTimeout    how long a node has to answer for its report
 * @param sampleInterval how often each node samples its throughput and latency
 * @param seriesWindow   how long the samples are kept
 * @param hotFiles       how many of the hottest files the hot view lists
 */
public record AdminSettings(Duration nodeTimeout, Duration sampleInterval, Duration seriesWindow, int hotFiles) {
  public AdminSettings {
    if (nodeTimeout.isNegative() || nodeTimeout.isZero()) throw new IllegalArgumentException("tensorfs.admin.node-timeout must be positive");
    if (sampleInterval.toMillis() < 100) throw new IllegalArgumentException("tensorfs.admin.sample-interval must be at least 100ms");
    if (seriesWindow.compareTo(sampleInterval) < 0) {
      throw new IllegalArgumentException("tensorfs.admin.series-window must be at least one sample-interval");
    }
    if (hotFiles < 1) throw new IllegalArgumentException("tensorfs.admin.hot-files must be at least 1");
  }

  public static AdminSettings fromConfig(Config config) {
    Config c = config.getConfig("tensorfs.admin");
    return new AdminSettings(c.getDuration("node-timeout"), c.getDuration("sample-interval"),
        c.getDuration("series-window"), c.getInt("hot-files"));
  }

  /** Samples kept per node. */
  public int samplesKept() {
    return (int) (seriesWindow.toMillis() / sampleInterval.toMillis());
  }
}
