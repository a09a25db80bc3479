package io.tensorfs.core.metrics;

/**
 * A monotonic count with its tags bound, exported as {@code <name>[_bytes]_total}. Thread-safe and cheap
 * (a striped adder): keep it in a field and call it on hot paths.
 */
public interface Counter {
  void increment();

  /** Adds {@code n}; negative values are ignored. */
  void increment(long n);
}
