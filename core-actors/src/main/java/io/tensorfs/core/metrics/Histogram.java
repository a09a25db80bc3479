package io.tensorfs.core.metrics;

/**
 * A distribution with its tags bound, exported as Prometheus buckets ({@code _bucket}, {@code _sum},
 * {@code _count}). Values are in the metric's {@link Unit}: nanoseconds for latencies, bytes for sizes.
 * Thread-safe.
 */
public interface Histogram {
  void record(long value);

  /** Records the nanoseconds since {@code startNanos}, a {@link System#nanoTime()} reading. */
  default void recordSince(long startNanos) {
    record(System.nanoTime() - startNanos);
  }
}
