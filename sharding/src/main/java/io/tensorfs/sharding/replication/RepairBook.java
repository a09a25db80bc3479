package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.events.NodeEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What this node's {@link Repairer} knows right now: the chunks it found below their policy in its sweeps
 * (those it is the one to repair: it holds the first live CLEAN replica) and the repairs it has in flight,
 * for the admin console; each repair started and ended is also published as a {@link NodeEvent}. A chunk
 * not seen again by a whole sweep (deleted, or now another node's to repair) is forgotten when that sweep
 * ends. Thread-safe: guarded by this object; written by the sweep, read by the console's reports.
 */
public final class RepairBook {
  /**
   * A chunk below its policy.
   *
   * @param replicas its live CLEAN replicas
   * @param wanted   the replicas its policy wants
   * @param states   each replica as {@code node/store STATE}
   */
  public record UnderReplicated(TfsPath path, ChunkId chunk, int replicas, int wanted, List<String> states) {}

  /** A repair in flight: copying {@code chunk} from this node to {@code targets} since {@code since}. */
  public record Repair(TfsPath path, ChunkId chunk, String from, List<String> targets, Instant since) {}

  private record Entry(UnderReplicated chunk, long sweep) {}

  private final String nodeId;
  private final Consumer<NodeEvent> events;
  private final Map<ChunkId, Entry> under = new LinkedHashMap<>();
  private final Map<ChunkId, Repair> repairs = new LinkedHashMap<>();
  private long sweep;

  /** @param events where repairs started and done are published */
  public RepairBook(String nodeId, Consumer<NodeEvent> events) {
    this.nodeId = nodeId;
    this.events = events;
  }

  /** Keeps nothing and publishes nothing: for a repairer without a console. */
  public static RepairBook none(String nodeId) {
    return new RepairBook(nodeId, e -> {});
  }

  public synchronized List<UnderReplicated> underReplicated() {
    return under.values().stream().map(Entry::chunk).toList();
  }

  public synchronized List<Repair> repairs() {
    return List.copyOf(repairs.values());
  }

  synchronized void sweepStarted() {
    sweep++;
  }

  synchronized void sweepEnded() {
    long current = sweep;
    under.values().removeIf(e -> e.sweep() < current);
  }

  synchronized void healthy(ChunkId chunk) {
    under.remove(chunk);
  }

  synchronized void below(TfsPath path, ChunkId chunk, ChunkStatus status, int liveClean) {
    List<String> states = new ArrayList<>();
    for (ChunkStatus.Replica r : status.replicas()) {
      states.add(r.location().node() + "/" + r.location().store() + " " + r.state());
    }
    under.put(chunk, new Entry(new UnderReplicated(path, chunk, liveClean, status.wantedReplicas(), List.copyOf(states)),
        sweep));
  }

  void started(TfsPath path, ChunkId chunk, List<ReplicaLocation> targets) {
    List<String> to = targets.stream().map(ReplicaLocation::node).toList();
    synchronized (this) {
      repairs.put(chunk, new Repair(path, chunk, nodeId, to, Instant.now()));
    }
    events.accept(NodeEvent.of(NodeEvent.Kind.REPAIR_STARTED, nodeId,
        "copying chunk " + chunk + " of " + path + " to " + to));
  }

  void ended(TfsPath path, ChunkId chunk, int created, Throwable failure) {
    synchronized (this) {
      repairs.remove(chunk);
      if (failure == null) under.remove(chunk);
    }
    events.accept(NodeEvent.of(NodeEvent.Kind.REPAIR_DONE, nodeId, failure == null
        ? "chunk " + chunk + " of " + path + ": " + created + " new replicas"
        : "chunk " + chunk + " of " + path + " not repaired: " + failure.getMessage()));
  }
}
