package io.tensorfs.core.metrics.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Gauge;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.function.ToLongFunction;

/** Instruments that record nothing: metrics switched off. Stateless. */
public final class NoInstruments implements Instruments {
  public static final NoInstruments INSTANCE = new NoInstruments();

  private static final Counter COUNTER = new Counter() {
    @Override
    public void increment() {}

    @Override
    public void increment(long n) {}
  };
  private static final Gauge GAUGE = value -> {};
  private static final Histogram HISTOGRAM = value -> {};

  private NoInstruments() {}

  @Override
  public Counter counter(String name, String help, Unit unit, Tags tags) {
    return COUNTER;
  }

  @Override
  public Gauge gauge(String name, String help, Unit unit, Tags tags) {
    return GAUGE;
  }

  @Override
  public Histogram histogram(String name, String help, Unit unit, Tags tags) {
    return HISTOGRAM;
  }

  @Override
  public <S> void pollGauge(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> read) {}

  @Override
  public <S> void pollCounter(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> cumulative) {}

  @Override
  public void poll() {}
}
