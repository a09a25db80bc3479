package io.tensorfs.transport.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for tests: makes a transport misbehave on purpose. Inert unless a test sets it.
 * Thread-safe.
 */
public final class Faults {
  private final AtomicInteger corruptDataFrames = new AtomicInteger();
  private volatile boolean mute;

  /** The next {@code n} DATA frames this side sends get one payload byte flipped after their CRC. */
  public void corruptNextDataFrames(int n) {
    corruptDataFrames.set(n);
  }

  /** Silently drops everything this side would send, as a hung or partitioned peer would. */
  public void mute(boolean on) {
    mute = on;
  }

  boolean muted() {
    return mute;
  }

  /** Whether the next DATA frame sent should be corrupted; {@link #corrupted()} once it has gone out. */
  boolean corruptionPending() {
    return corruptDataFrames.get() > 0;
  }

  void corrupted() {
    corruptDataFrames.decrementAndGet();
  }
}
