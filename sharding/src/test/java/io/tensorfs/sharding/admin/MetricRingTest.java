package io.tensorfs.sharding.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MetricRingTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void shouldTurnWhatTheMetricsMovedIntoRatesOverTheInterval() {
    Counter served = Metrics.counter("tensorfs.files.served", "test", Unit.BYTES, Tags.of("source", "cache"));
    Histogram latency = Metrics.histogram("tensorfs.gateway.request-latency", "test", Unit.NANOSECONDS,
        Tags.of("api", "http", "operation", "files.get"));
    MetricRing ring = new MetricRing(3, 0);
    served.increment(4_000);
    latency.record(2_000_000);
    latency.record(4_000_000);
    Instant now = Instant.parse("2026-11-30T10:00:02Z");
    ring.sample(2 * SECOND, now);
    MetricSample s = ring.within(60, now).get(0);
    assertEquals(2_000, s.readBytesPerSecond(), 1e-9);
    assertEquals(1.0, s.requestsPerSecond(), 1e-9);
    assertEquals(3.0, s.meanLatencyMs(), 1e-9);
  }

  @Test
  void shouldKeepTheLastSamplesAndAnswerOnlyThoseInTheWindow() {
    MetricRing ring = new MetricRing(3, 0);
    Instant start = Instant.parse("2026-11-30T10:00:00Z");
    for (int i = 1; i <= 5; i++) ring.sample(i * 2 * SECOND, start.plusSeconds(2L * i));
    Instant now = start.plusSeconds(10);
    assertEquals(3, ring.within(300, now).size(), "three kept");
    assertEquals(2, ring.within(2, now).size(), "the samples of the last 2 s");
    assertEquals(0, ring.within(60, now).get(2).meanLatencyMs(), 1e-9, "no request: no latency");
  }
}
