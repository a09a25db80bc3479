package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.sharding.metrics.ReplicationMetrics;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.store.ChunkStore;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-replication, run by every node over the replicas it holds. A sweep starts a moment after the set of
 * reachable nodes changes (and every {@code interval} anyway): for each chunk replica on this node's
 * stores it asks the chunk's entity; replicas on nodes gone from the cluster are marked MISSING, and a
 * committed chunk with fewer live CLEAN replicas than its policy wants is copied from here to nodes that
 * have none, are not drained and have room for it (chosen by the node's placement policy, see
 * {@link NodePlacement}), then recorded CLEAN. Of the live CLEAN holders, only the first in placement order acts, so
 * one chunk is repaired by one node. While too few nodes exist the chunk stays under-replicated, and the
 * sweep after a node joins completes it. A CORRUPT replica on a live node is that node's to re-create
 * ({@link CorruptReplicas}): it is not counted as lacking, and each sweep of its node tries it again. One chunk at a time; the sweep runs on the timer thread and
 * the stores' and transport's threads, never blocking.
 */
public final class Repairer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Repairer.class);

  /** @param settle wait after a membership change before sweeping; @param interval between sweeps anyway */
  public record Settings(Duration settle, Duration interval) {
    public static Settings from(Config config) {
      Config c = config.getConfig("tensorfs.sharding.repair");
      return new Settings(c.getDuration("settle"), c.getDuration("interval"));
    }
  }

  private final Peers peers;
  private final Replication replication;
  private final ShardedMetadata metadata;
  private final List<ChunkStore> stores;
  private final Settings settings;
  private final NodePlacement placement;
  private final CorruptReplicas corrupt;
  private final ScheduledExecutorService timer;
  private final AtomicInteger repaired = new AtomicInteger();
  private final ReplicationMetrics metrics = new ReplicationMetrics();
  private final RepairBook book;
  private volatile boolean closed;
  private java.util.concurrent.ScheduledFuture<?> periodic;
  private boolean running;
  private boolean again;

  /** @param corrupt re-creates this node's CORRUPT replicas, asked again at each sweep */
  public Repairer(Peers peers, Replication replication, ShardedMetadata metadata, List<ChunkStore> stores,
      CorruptReplicas corrupt, Settings settings, ScheduledExecutorService timer) {
    this(peers, replication, metadata, stores, corrupt, settings, timer, RepairBook.none(peers.selfId()));
  }

  /** @param book keeps the chunks found below their policy and the repairs in flight, for the admin console */
  public Repairer(Peers peers, Replication replication, ShardedMetadata metadata, List<ChunkStore> stores,
      CorruptReplicas corrupt, Settings settings, ScheduledExecutorService timer, RepairBook book) {
    this.book = book;
    this.peers = peers;
    this.corrupt = corrupt;
    this.replication = replication;
    this.metadata = metadata;
    this.stores = List.copyOf(stores);
    this.settings = settings;
    this.placement = new NodePlacement(peers, this.stores);
    this.timer = timer;
  }

  /** Starts watching membership and the periodic sweep. */
  public synchronized void start() {
    peers.onChange(view -> {
      if (!closed) timer.schedule(this::sweep, settings.settle().toMillis(), TimeUnit.MILLISECONDS);
    });
    long every = settings.interval().toMillis();
    periodic = timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  /** Replicas this node created so far. */
  public int repaired() {
    return repaired.get();
  }

  /** Sweeps now, or right after the sweep in progress. */
  public void sweep() {
    synchronized (this) {
      if (closed) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
    }
    metrics.sweepStarted();
    book.sweepStarted();
    sweepAll().whenComplete((n, e) -> {
      metrics.sweepEnded();
      if (e == null) book.sweepEnded();
      if (e != null) log.warn("re-replication sweep failed: {}", Failures.unwrap(e).toString());
      else if (n > 0) log.info("re-replication: {} replicas created", n);
      boolean rerun;
      synchronized (this) {
        running = false;
        rerun = again;
      }
      if (rerun && !closed) timer.schedule(this::sweep, settings.settle().toMillis(), TimeUnit.MILLISECONDS);
    });
  }

  private CompletionStage<Integer> sweepAll() {
    CompletionStage<Integer> total = CompletableFuture.completedFuture(0);
    for (ChunkStore store : stores) {
      total = total.thenCompose(sum -> store.scan().thenCompose(files -> sweepStore(store, files))
          .thenApply(n -> sum + n));
    }
    return total;
  }

  private CompletionStage<Integer> sweepStore(ChunkStore store, Map<io.tensorfs.core.FileId, ChunkStore.StoredFile> files) {
    CompletionStage<Integer> total = CompletableFuture.completedFuture(0);
    for (ChunkStore.StoredFile f : files.values()) {
      for (int index : f.chunks()) {
        ChunkId chunk = new ChunkId(f.file(), index);
        total = total.thenCompose(sum -> repair(store, f, chunk)
            .exceptionally(e -> {
              metrics.repairFailed();
              log.debug("chunk {} not repaired now: {}", chunk, Failures.unwrap(e).toString());
              return 0;
            })
            .thenApply(n -> sum + n));
      }
    }
    return total;
  }

  private CompletionStage<Integer> repair(ChunkStore store, ChunkStore.StoredFile file, ChunkId chunk) {
    ReplicaLocation here = new ReplicaLocation(peers.selfId(), store.id());
    return metadata.chunk(chunk).thenCompose(status -> {
      if (status.committed() && status.corrupt().contains(here)) {
        return corrupt.recreate(chunk, store, file.owner()).thenApply(done -> done ? 1 : 0);
      }
      List<ReplicaLocation> liveClean = status.clean().stream().filter(l -> peers.isLive(l.node())).toList();
      if (!status.committed() || liveClean.isEmpty() || !liveClean.get(0).equals(here)) {
        return CompletableFuture.completedFuture(0);
      }
      return markGone(chunk, status).thenCompose(v -> copy(chunk, file, status, here, liveClean));
    });
  }

  /** Marks MISSING the replicas that sit on nodes no longer in the cluster. */
  private CompletionStage<Void> markGone(ChunkId chunk, ChunkStatus status) {
    CompletionStage<Void> done = CompletableFuture.completedFuture(null);
    for (ChunkStatus.Replica r : status.replicas()) {
      if (r.state() != ReplicaState.MISSING && r.state() != ReplicaState.STALE && !peers.isLive(r.location().node())) {
        done = done.thenCompose(v -> metadata.markMissing(chunk, r.location()).thenApply(s -> null));
      }
    }
    return done;
  }

  private CompletionStage<Integer> copy(ChunkId chunk, ChunkStore.StoredFile file, ChunkStatus status,
      ReplicaLocation here, List<ReplicaLocation> liveClean) {
    long beingReCreated = status.corrupt().stream().filter(l -> peers.isLive(l.node())).count();
    int missing = status.wantedReplicas() - liveClean.size() - (int) beingReCreated;
    if (missing <= 0) {
      book.healthy(chunk);
      return CompletableFuture.completedFuture(0);
    }
    metrics.underReplicated();
    book.below(file.owner(), chunk, status, liveClean.size());
    Set<String> holding = new HashSet<>();
    liveClean.forEach(l -> holding.add(l.node()));
    List<ReplicaLocation> targets = placement.repairTargets(status.lengthBytes(), missing, holding);
    if (targets.isEmpty()) return CompletableFuture.completedFuture(0); // under-replicated until a node joins
    book.started(file.owner(), chunk, targets);
    return replication.pushFrom(here, chunk, file.owner(), true, status.lengthBytes(), targets)
        .thenCompose(stored -> {
          CompletionStage<Integer> added = CompletableFuture.completedFuture(0);
          for (ReplicaLocation at : stored.durableAt()) {
            added = added.thenCompose(n -> metadata.addReplica(chunk, at, stored.lengthBytes(), stored.crc32c())
                .thenApply(s -> n + 1));
          }
          return added;
        })
        .thenApply(n -> {
          repaired.addAndGet(n);
          metrics.repaired(n);
          log.info("chunk {}: {} new replicas on {}", chunk, n, targets);
          return n;
        })
        .whenComplete((n, e) -> book.ended(file.owner(), chunk, n == null ? 0 : n, e == null ? null : Failures.unwrap(e)));
  }

  /** No sweep starts after this; the timer belongs to the caller, who shuts it down. */
  @Override
  public synchronized void close() {
    closed = true;
    if (periodic != null) periodic.cancel(false);
  }
}
