package io.tensorfs.core.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import kamon.Kamon;
import kamon.module.Module;
import kamon.prometheus.MetricOverrideReporter;
import kamon.prometheus.PrometheusReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops the export of this JVM's metrics: Kamon's registry, its Prometheus reporter (whose
 * text {@link #scrape()} returns, for an endpoint to serve), JVM and process metrics, and the poller that
 * reads polled gauges and counters. Several nodes in one JVM share it: it starts with the first
 * {@link #start} and stops with the last {@link #stop}. Thread-safe; the poller is one daemon thread.
 */
public final class MetricsReporting {
  private static final Logger log = LoggerFactory.getLogger(MetricsReporting.class);

  private static int users;
  private static PrometheusReporter reporter;
  private static Module.Registration registration;
  private static ScheduledExecutorService poller;

  private MetricsReporting() {}

  /** Starts the export (once per JVM); does nothing when metrics are off. */
  public static synchronized void start(Config config) {
    MetricsSettings settings = MetricsSettings.fromConfig(config);
    if (!Metrics.enabled() || !settings.enabled()) return;
    if (users++ > 0) return;
    Config kamon = kamonConfig(config, settings);
    // Without attaching: no Kanela agent, the code is instrumented by hand through the facade.
    Kamon.initWithoutAttaching(kamon);
    reporter = new PrometheusReporter("kamon.prometheus", kamon);
    // Renames of Kamon's own metrics that break Prometheus naming rules (tensorfs.metrics.kamon.prometheus.metric-overrides).
    registration = Kamon.addReporter("tensorfs-prometheus", new MetricOverrideReporter(reporter, kamon));
    long tickMs = settings.tickInterval().toMillis();
    poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tensorfs-metrics-poller");
      t.setDaemon(true);
      return t;
    });
    // Read polled sources twice a tick, so a snapshot is never more than half a tick behind.
    poller.scheduleAtFixedRate(Metrics.instruments()::poll, 0, Math.max(1, tickMs / 2), TimeUnit.MILLISECONDS);
    log.info("metrics: Kamon started, snapshots every {} ms", tickMs);
  }

  /** Stops the export once the last user stops; the metrics recorded so far are kept. */
  public static synchronized void stop() {
    if (users == 0 || --users > 0) return;
    poller.shutdownNow();
    registration.cancel();
    Kamon.stop();
    reporter = null;
  }

  /** The Prometheus text of the last snapshot; empty when metrics are off or not started. */
  public static synchronized String scrape() {
    return reporter == null ? "" : reporter.scrapeData();
  }

  /** Kamon's settings from ours: our endpoint instead of Kamon's embedded server, our tick, no host metrics. */
  static Config kamonConfig(Config config, MetricsSettings settings) {
    Config overrides = ConfigFactory.parseString(
        "kamon.metric.tick-interval = " + settings.tickInterval().toMillis() + "ms\n"
            + "kamon.modules.jvm-metrics.enabled = " + settings.systemMetrics() + "\n"
            + "kamon.modules.process-metrics.enabled = " + settings.systemMetrics() + "\n");
    return overrides.withFallback(config.getConfig("tensorfs.metrics.kamon").atKey("kamon")).withFallback(config);
  }
}
