package io.tensorfs.sharding.metrics;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.metrics.Gauge;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Elastic in-memory replicas on this node: over the chunk entities it hosts, how many holders they have
 * and how many they want (summed), and how many chunks this node holds in memory for others. An entity
 * reports at every revision; one that stops reporting for {@code staleAfterNanos} (moved, passivated)
 * no longer counts. Thread-safe: entities report from their actors, the poller reads.
 */
public final class ElasticMetrics {
  private static final Map<ChunkId, Revision> REVISIONS = new ConcurrentHashMap<>();
  private static final Gauge HELD = Metrics.gauge("tensorfs.elastic.held-chunks", "Chunks this node holds in memory for other nodes' readers", Unit.NONE, Tags.EMPTY);

  static {
    Metrics.gauge("tensorfs.elastic.holders", "Nodes holding in-memory replicas, summed over the chunks hosted here", Unit.NONE, Tags.EMPTY, REVISIONS, r -> sum(r, true));
    Metrics.gauge("tensorfs.elastic.wanted", "In-memory replicas wanted, summed over the chunks hosted here", Unit.NONE, Tags.EMPTY, REVISIONS, r -> sum(r, false));
    Metrics.gauge("tensorfs.elastic.chunks", "Chunks hosted here with elastic in-memory replicas in play", Unit.NONE, Tags.EMPTY, REVISIONS, r -> live(r).count());
  }

  private record Revision(int holders, int wanted, long untilNanos) {}

  private ElasticMetrics() {}

  /** The entity of {@code chunk} revised its replicas: {@code holders} asked, {@code wanted} wanted. */
  public static void revised(ChunkId chunk, int holders, int wanted, long staleAfterNanos) {
    REVISIONS.put(chunk, new Revision(holders, wanted, System.nanoTime() + staleAfterNanos));
  }

  /** The entity of {@code chunk} has nothing elastic left to do. */
  public static void idle(ChunkId chunk) {
    REVISIONS.remove(chunk);
  }

  /** This node's memory replica agent holds {@code chunks} chunks for other nodes' readers. */
  public static void held(int chunks) {
    HELD.update(chunks);
  }

  private static long sum(Map<ChunkId, Revision> revisions, boolean holders) {
    return live(revisions).mapToLong(r -> holders ? r.holders() : r.wanted()).sum();
  }

  private static java.util.stream.Stream<Revision> live(Map<ChunkId, Revision> revisions) {
    long now = System.nanoTime();
    revisions.values().removeIf(r -> now - r.untilNanos() > 0);
    return revisions.values().stream();
  }
}
