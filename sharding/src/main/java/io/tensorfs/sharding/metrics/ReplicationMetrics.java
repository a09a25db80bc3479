package io.tensorfs.sharding.metrics;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Gauge;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replication health of this node: chain writes (latency from the chain's start to its answer, by
 * outcome), re-replication sweeps (chunks they found under-replicated, replicas they created, copies
 * that failed). A chunk is counted by one node only: its first live clean replica, which repairs it.
 * Thread-safe.
 */
public final class ReplicationMetrics {
  private static final Histogram CHAIN_OK =
      Metrics.histogram("tensorfs.replication.chain-write-latency", "Time from a chain write's start to its answer, by outcome", Unit.NANOSECONDS, Tags.of("outcome", "ok"));
  private static final Histogram CHAIN_FAILED =
      Metrics.histogram("tensorfs.replication.chain-write-latency", "Time from a chain write's start to its answer, by outcome", Unit.NANOSECONDS, Tags.of("outcome", "failed"));
  private static final Counter CHAIN_BYTES = Metrics.counter("tensorfs.replication.chain-written", "Bytes written through replication chains started or continued here", Unit.BYTES, Tags.EMPTY);
  private static final Counter REPAIRS = Metrics.counter("tensorfs.replication.repairs", "Replicas created by re-replication", Unit.NONE, Tags.EMPTY);
  private static final Counter REPAIR_FAILURES =
      Metrics.counter("tensorfs.replication.repair-failures", "Chunk repairs that failed (retried at the next sweep)", Unit.NONE, Tags.EMPTY);
  private static final Gauge UNDER_REPLICATED =
      Metrics.gauge("tensorfs.replication.under-replicated-chunks", "Chunks the last sweep found with fewer live clean replicas than wanted", Unit.NONE, Tags.EMPTY);
  private static final Counter CORRUPT_FOUND =
      Metrics.counter("tensorfs.replication.corrupt-found", "Replicas on this node found corrupt and marked CORRUPT", Unit.NONE, Tags.EMPTY);
  private static final Counter CORRUPT_RECREATED =
      Metrics.counter("tensorfs.replication.corrupt-recreated", "Corrupt replicas on this node re-created from a clean one", Unit.NONE, Tags.EMPTY);
  private static final Counter SWEEPS = Metrics.counter("tensorfs.replication.sweeps", "Re-replication sweeps completed", Unit.NONE, Tags.EMPTY);

  private final AtomicInteger underReplicatedThisSweep = new AtomicInteger();

  /** Times a chain write from {@code startNanos} until {@code answer} completes; returns {@code answer}. */
  public static <T> CompletionStage<T> chainWrite(long startNanos, long bytes, CompletionStage<T> answer) {
    return answer.whenComplete((v, e) -> {
      (e == null ? CHAIN_OK : CHAIN_FAILED).recordSince(startNanos);
      if (e == null) CHAIN_BYTES.increment(bytes);
    });
  }

  /** A re-replication sweep begins. */
  public void sweepStarted() {
    underReplicatedThisSweep.set(0);
  }

  /** The sweep found a chunk with fewer live clean replicas than its policy wants. */
  public void underReplicated() {
    underReplicatedThisSweep.incrementAndGet();
  }

  /** The sweep created {@code replicas} new replicas of one chunk. */
  public void repaired(int replicas) {
    REPAIRS.increment(replicas);
  }

  public void repairFailed() {
    REPAIR_FAILURES.increment();
  }

  /** A replica on this node was marked CORRUPT. */
  public static void corruptFound() {
    CORRUPT_FOUND.increment();
  }

  /** A CORRUPT replica on this node was re-created and is CLEAN again. */
  public static void corruptRecreated() {
    CORRUPT_RECREATED.increment();
  }

  /** The sweep ended: what it found becomes the under-replicated gauge. */
  public void sweepEnded() {
    SWEEPS.increment();
    UNDER_REPLICATED.update(underReplicatedThisSweep.get());
  }
}
