package io.tensorfs.sharding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code tensorfs.elastic}: how read demand turns into in-memory replicas of {@code cache(min,max)} files.
 *
 * @param reportInterval  how often nodes report reads and entities revise and renew their replicas
 * @param readsPerReplica reads per second one in-memory replica is meant to serve
 * @param coolAfter       how long demand must stay lower before replicas are released
 * @param lease           how long a node keeps a hold its entity has stopped renewing
 */
public record ElasticSettings(Duration reportInterval, double readsPerReplica, Duration coolAfter, Duration lease) {
  public ElasticSettings {
    if (reportInterval.isNegative() || reportInterval.isZero()) {
      throw new IllegalArgumentException("tensorfs.elastic.report-interval must be positive");
    }
    if (!(readsPerReplica > 0)) throw new IllegalArgumentException("tensorfs.elastic.reads-per-replica must be positive");
    if (lease.compareTo(reportInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("tensorfs.elastic.lease must be at least twice report-interval");
    }
  }

  public static ElasticSettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.elastic");
    return new ElasticSettings(c.getDuration("report-interval"), c.getDouble("reads-per-replica"),
        c.getDuration("cool-after"), c.getDuration("lease"));
  }
}
