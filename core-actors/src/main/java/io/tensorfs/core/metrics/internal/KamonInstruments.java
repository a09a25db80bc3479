package io.tensorfs.core.metrics.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Gauge;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.tag.TagSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instruments backed by Kamon's registry. Instruments are thread-safe; polled sources are read by
 * whichever thread calls {@link #poll()} (the reporting's poller), holding them only weakly so a
 * component that is dropped stops being reported.
 */
public final class KamonInstruments implements Instruments {
  private static final Logger log = LoggerFactory.getLogger(KamonInstruments.class);

  private final CopyOnWriteArrayList<Polled<?>> polled = new CopyOnWriteArrayList<>();
  /** Held by one {@link #poll} at a time (a polled counter keeps the value it last saw). */
  private final Object polling = new Object();

  @Override
  public Counter counter(String name, String help, Unit unit, Tags tags) {
    kamon.metric.Counter c = Kamon.counter(name, help, unitOf(unit)).withTags(tagSet(tags));
    return new Counter() {
      @Override
      public void increment() {
        c.increment();
      }

      @Override
      public void increment(long n) {
        if (n > 0) c.increment(n);
      }
    };
  }

  @Override
  public Gauge gauge(String name, String help, Unit unit, Tags tags) {
    kamon.metric.Gauge g = Kamon.gauge(name, help, unitOf(unit)).withTags(tagSet(tags));
    return value -> g.update((double) value);
  }

  @Override
  public Histogram histogram(String name, String help, Unit unit, Tags tags) {
    kamon.metric.Histogram h = Kamon.histogram(name, help, unitOf(unit)).withTags(tagSet(tags));
    return value -> {
      if (value >= 0) h.record(value);
    };
  }

  @Override
  public <S> void pollGauge(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> read) {
    Gauge g = gauge(name, help, unit, tags);
    forgetCollected();
    polled.add(new Polled<>(name, tags, new WeakReference<>(source), read, g::update,
        () -> Kamon.gauge(name, help, unitOf(unit)).remove(tagSet(tags))));
  }

  @Override
  public <S> void pollCounter(String name, String help, Unit unit, Tags tags, S source, ToLongFunction<S> cumulative) {
    Counter c = counter(name, help, unit, tags);
    forgetCollected();
    long[] last = {0};
    polled.add(new Polled<>(name, tags, new WeakReference<>(source), cumulative, v -> {
      c.increment(v - last[0]);
      last[0] = Math.max(last[0], v);
    }, () -> { }));
  }

  /**
   * Reads every polled source, one poll at a time, without holding this object's monitor while a source is
   * read: a source may be a class still in its static initializer, registering its next gauge (which takes
   * the monitor); holding it here while that source's read waits for the initializer deadlocked a node's start.
   */
  @Override
  public void poll() {
    synchronized (polling) {
      for (Polled<?> p : polled) { // copy-on-write: iterating needs no lock
        if (!p.poll()) forgetGone(p);
      }
    }
  }

  private synchronized void forgetGone(Polled<?> p) {
    if (polled.contains(p)) forget(p);
  }

  /** Also when nothing polls (reporting not started, as in unit tests), sources that are gone are dropped. */
  private synchronized void forgetCollected() {
    for (Polled<?> p : polled) {
      if (p.source().get() == null) forget(p);
    }
  }

  private void forget(Polled<?> p) {
    polled.remove(p);
    p.onGone().run();
  }

  private record Polled<S>(String name, Tags tags, WeakReference<S> source, ToLongFunction<S> read,
      java.util.function.LongConsumer sink, Runnable onGone) {
    /** False once the source is gone. A source that throws is logged and kept. */
    boolean poll() {
      S s = source.get();
      if (s == null) return false;
      try {
        sink.accept(read.applyAsLong(s));
      } catch (RuntimeException e) {
        log.warn("metric {} {}: cannot read its source: {}", name, tags, e.toString());
      }
      return true;
    }
  }

  static MeasurementUnit unitOf(Unit unit) {
    return switch (unit) {
      case NONE -> MeasurementUnit.none();
      case BYTES -> MeasurementUnit.information().bytes();
      case NANOSECONDS -> MeasurementUnit.time().nanoseconds();
    };
  }

  static TagSet tagSet(Tags tags) {
    if (tags.asMap().isEmpty()) return TagSet.Empty();
    TagSet.Builder b = TagSet.builder();
    for (Map.Entry<String, String> e : tags.asMap().entrySet()) b.add(e.getKey(), e.getValue());
    return b.build();
  }

}
