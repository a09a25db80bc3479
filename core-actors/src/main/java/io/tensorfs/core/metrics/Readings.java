package io.tensorfs.core.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * This JVM's own running totals of the counters and histograms made through {@link Metrics}, summed over
 * their tags, so the node can read its figures back (the admin console's throughput and latency series)
 * without scraping its Prometheus endpoint. Kept whether or not metrics are exported. Thread-safe: each
 * total is a striped adder, so recording stays cheap on hot paths.
 */
public final class Readings {
  private static final ConcurrentHashMap<String, LongAdder> COUNTS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, LongAdder> SUMS = new ConcurrentHashMap<>();

  private Readings() {}

  /** The sum over all tags of the counter {@code name} since this JVM started (0 if never made). */
  public static long counterTotal(String name) {
    LongAdder a = COUNTS.get(name);
    return a == null ? 0 : a.sum();
  }

  /** The values recorded in the histogram {@code name} over all tags since this JVM started. */
  public static long histogramCount(String name) {
    return counterTotal(name);
  }

  /** The sum of the values recorded in the histogram {@code name} over all tags, in its unit. */
  public static long histogramSum(String name) {
    LongAdder a = SUMS.get(name);
    return a == null ? 0 : a.sum();
  }

  static Counter tallied(String name, Counter counter) {
    LongAdder total = COUNTS.computeIfAbsent(name, k -> new LongAdder());
    return new Counter() {
      @Override
      public void increment() {
        counter.increment();
        total.increment();
      }

      @Override
      public void increment(long n) {
        counter.increment(n);
        if (n > 0) total.add(n);
      }
    };
  }

  static Histogram tallied(String name, Histogram histogram) {
    LongAdder count = COUNTS.computeIfAbsent(name, k -> new LongAdder());
    LongAdder sum = SUMS.computeIfAbsent(name, k -> new LongAdder());
    return value -> {
      histogram.record(value);
      count.increment();
      sum.add(value);
    };
  }
}
