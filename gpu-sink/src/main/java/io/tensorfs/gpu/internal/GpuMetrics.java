package io.tensorfs.gpu.internal;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * The copies of one GPU's {@link CopyEngine}, tagged with the GPU and the direction ({@code to-device},
 * {@code to-host}): bytes copied, latency from queueing to completion, failures, and copies of pageable
 * host memory. Thread-safe.
 */
final class GpuMetrics {
  private final Direction toDevice;
  private final Direction toHost;
  /** The {@code gpu} series of the node's bytes served by source (the others are counted by the stores). */
  private final Counter servedToGpu = Metrics.counter("tensorfs.files.served", "Bytes of file reads by source: cache (resident pages), disk (this node's stores), remote (other nodes), gpu (into GPU memory)", Unit.BYTES, Tags.of("source", "gpu"));

  private record Direction(Counter bytes, Histogram latency, Counter failures) {
    static Direction of(int ordinal, String direction) {
      Tags tags = Tags.of("gpu", Integer.toString(ordinal), "direction", direction);
      return new Direction(Metrics.counter("tensorfs.gpu.copied", "Bytes copied between host and GPU memory", Unit.BYTES, tags),
          Metrics.histogram("tensorfs.gpu.copy-latency", "Time from queueing a GPU copy to its completion", Unit.NANOSECONDS, tags),
          Metrics.counter("tensorfs.gpu.copy-failures", "GPU copies that failed", Unit.NONE, tags));
    }
  }

  GpuMetrics(CopyEngine engine, int ordinal) {
    this.toDevice = Direction.of(ordinal, "to-device");
    this.toHost = Direction.of(ordinal, "to-host");
    Metrics.counter("tensorfs.gpu.unregistered-copies", "GPU copies of host buffers outside the pinned regions (pageable, slower)", Unit.NONE, Tags.of("gpu", Integer.toString(ordinal)), engine,
        CopyEngine::unregisteredCopies);
  }

  /** A copy queued at {@code startNanos} ended: {@code bytes} copied, or {@code failure}. */
  void copied(boolean toDevice, long startNanos, Long bytes, Throwable failure) {
    Direction d = toDevice ? this.toDevice : toHost;
    d.latency().recordSince(startNanos);
    if (failure != null) d.failures().increment();
    else if (bytes != null) {
      d.bytes().increment(bytes);
      if (toDevice) servedToGpu.increment(bytes);
    }
  }
}
