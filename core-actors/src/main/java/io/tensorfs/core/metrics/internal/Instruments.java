package io.tensorfs.core.metrics.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Gauge;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.function.ToLongFunction;

/** Where the facade's instruments come from: Kamon, or nothing when metrics are off. Thread-safe. */
public interface Instruments {
  Counter counter(String name, String help, Unit unit, Tags tags);

  Gauge gauge(String name, String help, Unit unit, Tags tags);

  Histogram histogram(String name, String help, Unit unit, Tags tags);

  /** A gauge read from {@code source} on every poll, until the source is garbage collected. */
  <S> void pollGauge(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> read);

  /** A counter fed from a cumulative count that {@code source} keeps, until the source is collected. */
  <S> void pollCounter(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> cumulative);

  /** Reads every polled source now. */
  void poll();
}
