package io.tensorfs.core.metrics;

/** A value that goes up and down, with its tags bound. Thread-safe; the last update wins. */
public interface Gauge {
  void update(long value);
}
