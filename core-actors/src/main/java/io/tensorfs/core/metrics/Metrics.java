package io.tensorfs.core.metrics;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.metrics.internal.Instruments;
import io.tensorfs.core.metrics.internal.KamonInstruments;
import io.tensorfs.core.metrics.internal.NoInstruments;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * The one way tensorfs code records metrics; no other module touches Kamon. Names are
 * {@code tensorfs.<module>.<metric>} (exported to Prometheus as {@code tensorfs_<module>_<metric>} with
 * {@code _bytes}, {@code _seconds} and {@code _total} as the unit and kind say); tags stay low in
 * cardinality (see {@link Tags}); {@code help} is the one-line description Prometheus shows (the same for
 * every use of a name).
 *
 * <p>Whether metrics are on is read once, from {@code tensorfs.metrics.enabled} in the JVM's
 * configuration ({@code -Dtensorfs.metrics.enabled=false} turns them off): when off every instrument is
 * a shared no-op. Instruments are thread-safe; take them once (a field) and use them on hot paths.
 * {@link MetricsReporting} starts and stops the export.
 */
public final class Metrics {
  private static final Pattern NAME = Pattern.compile("tensorfs\\.[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+");
  private static final Instruments INSTRUMENTS =
      ConfigFactory.load().getBoolean("tensorfs.metrics.enabled") ? new KamonInstruments() : NoInstruments.INSTANCE;

  private Metrics() {}

  /** Whether this JVM records metrics. */
  public static boolean enabled() {
    return INSTRUMENTS != NoInstruments.INSTANCE;
  }

  public static Counter counter(String name, String help, Unit unit, Tags tags) {
    return Readings.tallied(name, INSTRUMENTS.counter(checked(name), help, unit, tags));
  }

  public static Gauge gauge(String name, String help, Unit unit, Tags tags) {
    return INSTRUMENTS.gauge(checked(name), help, unit, tags);
  }

  public static Histogram histogram(String name, String help, Unit unit, Tags tags) {
    return Readings.tallied(name, INSTRUMENTS.histogram(checked(name), help, unit, tags));
  }

  /**
   * A gauge that reads {@code source} at every tick, for state a component already keeps (cache use,
   * free space). {@code read} must not capture the source: it is held weakly, and the gauge goes away
   * once the source is garbage collected. {@code read} runs on the metrics poller thread.
   */
  public static <S> void gauge(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> read) {
    INSTRUMENTS.pollGauge(checked(name), help, unit, tags, source, read);
  }

  /**
   * A counter fed from a cumulative count that {@code source} keeps (hits, dropped frames): at every
   * tick it moves by what the count moved since the last. Same rules as {@link #gauge(String, String, Unit,
   * Tags, Object, ToLongFunction)}.
   */
  public static <S> void counter(String name, String help, Unit unit, Tags tags, S source,
      ToLongFunction<S> cumulative) {
    INSTRUMENTS.pollCounter(checked(name), help, unit, tags, source, cumulative);
  }

  static Instruments instruments() {
    return INSTRUMENTS;
  }

  static String checked(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("metric names are tensorfs.<module>.<metric> in lower case, not " + name);
    }
    return name;
  }
}
