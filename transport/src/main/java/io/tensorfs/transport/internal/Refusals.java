package io.tensorfs.transport.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what the transport refused because it could not be authenticated (TCP connections whose
 * handshake failed, requests with a bad, stale or replayed signature), and logs at most one line per
 * {@link #LOG_INTERVAL_NS} about them, so that a flood of forged traffic cannot flood the log. Called on
 * the engine's agent thread; {@link #count()} from any thread.
 */
public final class Refusals {
  private static final Logger log = LoggerFactory.getLogger(Refusals.class);
  static final long LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

  private final AtomicLong count = new AtomicLong();
  private final Counter counter;
  private long lastLoggedNs;
  private long sinceLogged;
  private boolean logged;

  public Refusals(String kind) {
    this.counter = Metrics.counter("tensorfs.transport.refused", "Connections and requests refused for want of the cluster's secret",
        Unit.NONE, Tags.of("kind", kind));
  }

  /** Counts one refusal of {@code what} (e.g. "TCP connection from /10.0.0.5:4711") and says {@code why}, rate-limited. */
  public void refused(String what, String why, long nowNs) {
    count.incrementAndGet();
    counter.increment();
    sinceLogged++;
    if (!logged || nowNs - lastLoggedNs > LOG_INTERVAL_NS) {
      log.warn("refused {}: {} ({} refused since the last such line)", what, why, sinceLogged);
      logged = true;
      lastLoggedNs = nowNs;
      sinceLogged = 0;
    }
  }

  /** Everything refused since start. */
  public long count() {
    return count.get();
  }
}
