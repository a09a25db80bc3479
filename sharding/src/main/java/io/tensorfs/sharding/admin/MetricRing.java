package io.tensorfs.sharding.admin;

import io.tensorfs.core.metrics.Readings;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's recent throughput and latency: every {@link #sample} turns what its metrics' totals moved
 * since the last one into rates, and the last {@code kept} samples are kept. Owned by the
 * {@link AdminAgent}'s thread.
 */
final class MetricRing {
  private static final String SERVED = "tensorfs.files.served";
  private static final String WRITTEN = "tensorfs.replication.chain-written";
  private static final String SENT = "tensorfs.transport.sent";
  private static final String RECEIVED = "tensorfs.transport.received";
  private static final String LATENCY = "tensorfs.gateway.request-latency";

  private final int kept;
  private final ArrayDeque<MetricSample> samples = new ArrayDeque<>();
  private long lastNanos;
  private long served;
  private long written;
  private long sent;
  private long received;
  private long requests;
  private long latencyNanos;

  MetricRing(int kept, long nowNanos) {
    this.kept = kept;
    this.lastNanos = nowNanos;
    read();
  }

  /** Takes a sample of the rates since the last one. */
  void sample(long nowNanos, Instant now) {
    double seconds = Math.max(1e-3, (nowNanos - lastNanos) / 1e9);
    long servedBefore = served;
    long writtenBefore = written;
    long sentBefore = sent;
    long receivedBefore = received;
    long requestsBefore = requests;
    long latencyBefore = latencyNanos;
    read();
    lastNanos = nowNanos;
    long answered = requests - requestsBefore;
    double meanMs = answered == 0 ? 0 : (latencyNanos - latencyBefore) / 1e6 / answered;
    if (samples.size() == kept) samples.removeFirst();
    samples.addLast(new MetricSample(now.toString(), (served - servedBefore) / seconds,
        (written - writtenBefore) / seconds, (sent - sentBefore) / seconds, (received - receivedBefore) / seconds,
        answered / seconds, meanMs));
  }

  /** The samples taken within {@code windowSeconds} before {@code now}, oldest first. */
  List<MetricSample> within(long windowSeconds, Instant now) {
    Instant from = now.minusSeconds(windowSeconds);
    List<MetricSample> out = new ArrayList<>();
    for (MetricSample s : samples) {
      if (!Instant.parse(s.time()).isBefore(from)) out.add(s);
    }
    return out;
  }

  private void read() {
    served = Readings.counterTotal(SERVED);
    written = Readings.counterTotal(WRITTEN);
    sent = Readings.counterTotal(SENT);
    received = Readings.counterTotal(RECEIVED);
    requests = Readings.histogramCount(LATENCY);
    latencyNanos = Readings.histogramSum(LATENCY);
  }
}
