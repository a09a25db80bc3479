package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.metrics.ReplicationMetrics;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.store.ChunkStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-replication, run by every node over the replicas it holds. A sweep starts a moment after the set of
 * reachable nodes changes (and every {@code interval} anyway): for each chunk replica on this node's
 * stores it asks the chunk's entity; replicas on nodes gone from the cluster are marked MISSING, and a
 * committed chunk with fewer live CLEAN replicas on nodes not drained than its policy wants is copied from
 * here to nodes that have none, are not drained and have room for it (chosen by the node's placement
 * policy, see {@link NodePlacement}), then recorded CLEAN. Of the live CLEAN holders only one acts
 * ({@link RepairChoice}), so one chunk is repaired by one node. On a node an operator drained, each
 * replica is then released (record, then bytes) once the policy's count stands on other nodes, and the
 * sweep runs again soon while any is left; each sweep's {@link SweepResult} goes to the listeners
 * ({@link #onSweep}). While too few nodes exist the chunk stays under-replicated, and the sweep after a
 * node joins completes it. A CORRUPT replica on a live node is that node's to re-create
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
  private final List<Consumer<SweepResult>> listeners = new CopyOnWriteArrayList<>();
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

  /** Runs {@code listener} with each sweep's result, on the thread that ended the sweep. */
  public void onSweep(Consumer<SweepResult> listener) {
    listeners.add(listener);
  }

  private void tellListeners(SweepResult result) {
    for (Consumer<SweepResult> l : listeners) {
      try {
        l.accept(result);
      } catch (RuntimeException e) {
        log.error("a listener of repair sweeps failed", e);
      }
    }
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
    sweepAll().whenComplete((result, e) -> {
      metrics.sweepEnded();
      if (e == null) book.sweepEnded();
      if (e != null) log.warn("re-replication sweep failed: {}", Failures.unwrap(e).toString());
      else if (result.created() > 0) log.info("re-replication: {} replicas created", result.created());
      if (e == null) tellListeners(result);
      boolean rerun;
      synchronized (this) {
        running = false;
        // A drained node sweeps again soon while it holds replicas, instead of waiting for the interval.
        rerun = again || (e == null && peers.adminDrained() && result.replicasHere() > 0);
      }
      if (rerun && !closed) timer.schedule(this::sweep, settings.settle().toMillis(), TimeUnit.MILLISECONDS);
    });
  }

  private CompletionStage<SweepResult> sweepAll() {
    boolean drainedAtStart = peers.adminDrained();
    CompletionStage<Tally> total = CompletableFuture.completedFuture(new Tally(0, 0, 0, 0));
    for (ChunkStore store : stores) {
      total = total.thenCompose(sum -> store.scan().thenCompose(files -> sweepStore(store, files, sum)));
    }
    return total.thenApply(t -> new SweepResult(t.created(), t.held(), t.stuck(), t.stuckWanted(), peers.openNodes(),
        drainedAtStart && peers.adminDrained()));
  }

  /** The sums of a sweep so far. */
  private record Tally(int created, int held, int stuck, int stuckWanted) {
    Tally plus(ChunkSwept c) {
      return new Tally(created + c.created(), held + (c.held() ? 1 : 0), stuck + (c.stuckWanted() > 0 ? 1 : 0),
          Math.max(stuckWanted, c.stuckWanted()));
    }
  }

  /**
   * One chunk's outcome: replicas created, whether this node's replica is still recorded, and (a drained
   * node's chunk that no other node can take) the replicas it wants, else 0.
   */
  private record ChunkSwept(int created, boolean held, int stuckWanted) {
    static final ChunkSwept NOTHING = new ChunkSwept(0, false, 0);
    static final ChunkSwept UNKNOWN = new ChunkSwept(0, true, 0);
  }

  private CompletionStage<Tally> sweepStore(ChunkStore store, Map<io.tensorfs.core.FileId, ChunkStore.StoredFile> files,
      Tally start) {
    CompletionStage<Tally> total = CompletableFuture.completedFuture(start);
    for (ChunkStore.StoredFile f : files.values()) {
      for (int index : f.chunks()) {
        ChunkId chunk = new ChunkId(f.file(), index);
        total = total.thenCompose(sum -> repair(store, f, chunk)
            .exceptionally(e -> {
              metrics.repairFailed();
              log.debug("chunk {} not repaired now: {}", chunk, Failures.unwrap(e).toString());
              // A chunk whose entity could not tell still counts as held here: a drain must not end on it.
              return TfsException.codeOf(e) == ErrorCode.NOT_FOUND ? ChunkSwept.NOTHING : ChunkSwept.UNKNOWN;
            })
            .thenApply(sum::plus));
      }
    }
    return total;
  }

  private CompletionStage<ChunkSwept> repair(ChunkStore store, ChunkStore.StoredFile file, ChunkId chunk) {
    ReplicaLocation here = new ReplicaLocation(peers.selfId(), store.id());
    return metadata.chunk(chunk).thenCompose(status -> {
      if (status.committed() && status.corrupt().contains(here) && !peers.adminDrained()) {
        return corrupt.recreate(chunk, store, file.owner()).thenApply(done -> new ChunkSwept(done ? 1 : 0, true, 0));
      }
      RepairChoice choice = RepairChoice.of(status, here, peers::isLive, this::drained);
      CompletionStage<Integer> created = choice.acts()
          ? markGone(chunk, status).thenCompose(v -> copy(chunk, file, status, here, choice))
          : CompletableFuture.completedFuture(0);
      return created.thenCompose(n -> peers.adminDrained()
          ? release(store, chunk, here).thenApply(held -> new ChunkSwept(n, held, held ? stuckWanted(status, choice, n) : 0))
          : CompletableFuture.completedFuture(new ChunkSwept(n, RepairChoice.recorded(status, here), 0)));
    });
  }

  /** Whether {@code node} takes no new replicas: drained by an operator, or its member is leaving. */
  private boolean drained(String node) {
    if (node.equals(peers.selfId())) return peers.selfDrained();
    Peers.PeerInfo p = peers.live().get(node);
    return p == null || p.drained();
  }

  /**
   * The replicas a drained node's chunk wants when it stays short because no other node could take a copy
   * (no target was free), else 0 (it is copied, or waits for another holder's copy).
   */
  private int stuckWanted(ChunkStatus status, RepairChoice choice, int created) {
    if (!status.committed() || choice.missing() <= created) return 0;
    return placement.repairTargets(status.lengthBytes(), 1, choice.holders()).isEmpty() ? status.wantedReplicas() : 0;
  }

  /**
   * A drained node gives up its replica of {@code chunk} once the policy's count stands elsewhere: the
   * record first (refused by the entity unless that many CLEAN replicas remain), then the bytes. Completes
   * with whether the replica is still recorded here.
   */
  private CompletionStage<Boolean> release(ChunkStore store, ChunkId chunk, ReplicaLocation here) {
    return metadata.chunk(chunk).thenCompose(status -> {
      if (!RepairChoice.recorded(status, here)) return CompletableFuture.completedFuture(false);
      if (!RepairChoice.mayRelease(status, here, peers::isLive, this::drained)) {
        return CompletableFuture.completedFuture(true);
      }
      return metadata.removeReplica(chunk, here, status.wantedReplicas()).thenCompose(after -> {
        if (RepairChoice.recorded(after, here)) return CompletableFuture.completedFuture(true);
        log.info("drain: replica of {} on {} released ({} CLEAN elsewhere)", chunk, here, after.clean().size());
        return store.deleteChunk(chunk).thenApply(d -> false);
      });
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
      ReplicaLocation here, RepairChoice choice) {
    int missing = choice.missing();
    if (missing <= 0) {
      book.healthy(chunk);
      return CompletableFuture.completedFuture(0);
    }
    metrics.underReplicated();
    book.below(file.owner(), chunk, status, choice.counting());
    List<ReplicaLocation> targets = placement.repairTargets(status.lengthBytes(), missing, choice.holders());
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
