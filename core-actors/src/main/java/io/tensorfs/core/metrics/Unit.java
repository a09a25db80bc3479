package io.tensorfs.core.metrics;

/**
 * What a metric's values measure. The Prometheus export appends the unit to the name ({@code _bytes},
 * {@code _seconds}); time is recorded in nanoseconds and exported in seconds.
 */
public enum Unit {
  /** A plain count (requests, frames, chunks). */
  NONE,
  /** Bytes. */
  BYTES,
  /** Time, recorded in nanoseconds, exported in seconds. */
  NANOSECONDS
}
