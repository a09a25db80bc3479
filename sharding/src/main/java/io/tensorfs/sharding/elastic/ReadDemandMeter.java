package io.tensorfs.sharding.elastic;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ElasticSettings;
import io.tensorfs.sharding.MemoryReplicaProtocol;
import io.tensorfs.sharding.Metadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Counts the reads of {@code cache(min,max)} chunks on this node and reports them to their entities
 * every report interval, one message per chunk read in that interval. Thread-safe: {@link #read} is a
 * counter increment on the read path.
 */
public final class ReadDemandMeter implements AutoCloseable {
  /** Counts nothing: for a node without a cluster (tests), where no entity would use the reports. */
  public static final ReadDemandMeter OFF = new ReadDemandMeter();

  private final String nodeId;
  private final Metadata metadata;
  private final ActorRef<MemoryReplicaProtocol.Command> agent;
  private final long intervalMillis;
  private final Map<ChunkId, Reads> counts = new ConcurrentHashMap<>();
  private final ScheduledFuture<?> reporting;

  private record Reads(TfsPath owner, LongAdder count) {}

  /**
   * A file this node read in the last report interval.
   *
   * @param readsPerSecond chunk reads per second here over that interval
   * @param chunks         the chunks read
   */
  public record FileDemand(TfsPath path, double readsPerSecond, List<ChunkId> chunks) {}

  /** The files read in the last report interval, set by the reporting thread. */
  private volatile List<FileDemand> recent = List.of();

  private ReadDemandMeter() {
    this.nodeId = null;
    this.metadata = null;
    this.agent = null;
    this.intervalMillis = 0;
    this.reporting = null;
  }

  public ReadDemandMeter(String nodeId, Metadata metadata, ActorRef<MemoryReplicaProtocol.Command> agent,
      ElasticSettings settings, ScheduledExecutorService timer) {
    this.nodeId = nodeId;
    this.metadata = metadata;
    this.agent = agent;
    this.intervalMillis = settings.reportInterval().toMillis();
    this.reporting = timer.scheduleWithFixedDelay(this::report, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** One read of {@code chunk} of the file at {@code owner}. */
  public void read(ChunkId chunk, TfsPath owner) {
    if (metadata == null) return;
    counts.computeIfAbsent(chunk, c -> new Reads(owner, new LongAdder())).count().increment();
  }

  /** The files of {@code cache(min,max)} policy this node read in the last report interval. */
  public List<FileDemand> recent() {
    return recent;
  }

  private void report() {
    Map<TfsPath, Long> reads = new HashMap<>();
    Map<TfsPath, List<ChunkId>> chunks = new HashMap<>();
    for (Map.Entry<ChunkId, Reads> e : counts.entrySet()) {
      long n = e.getValue().count().sumThenReset();
      if (n > 0) {
        reads.merge(e.getValue().owner(), n, Long::sum);
        chunks.computeIfAbsent(e.getValue().owner(), p -> new ArrayList<>()).add(e.getKey());
        metadata.reportReads(e.getKey(), nodeId, e.getValue().owner(), n, intervalMillis, agent);
      } else {
        // Idle for an interval: forget it (a read racing with this starts a new count, maybe losing one).
        counts.remove(e.getKey(), e.getValue());
      }
    }
    List<FileDemand> files = new ArrayList<>();
    reads.forEach((path, n) -> files.add(new FileDemand(path, n * 1000.0 / intervalMillis, List.copyOf(chunks.get(path)))));
    recent = List.copyOf(files);
  }

  @Override
  public void close() {
    if (reporting != null) reporting.cancel(false);
  }
}
