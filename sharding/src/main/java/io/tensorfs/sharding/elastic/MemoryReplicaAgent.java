package io.tensorfs.sharding.elastic;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkEntity;
import io.tensorfs.sharding.metrics.ElasticMetrics;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.ReplicaStores;
import io.tensorfs.store.cache.CachedChunk;
import io.tensorfs.store.cache.ChunkCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of elastic in-memory replicas: a chunk's entity asks the node to hold the chunk in
 * its cache ({@link Hold}, renewed every report interval) and other nodes' reads of the chunk are then
 * sent here and served from the pages. A hold is a reference on the cached chunk, so the cache cannot
 * evict it; it ends on {@link Release} or when the entity stops renewing it for a lease (the entity
 * moved or stopped, the holder was dropped), and the chunk is then an ordinary cached chunk again.
 *
 * <p>Loads run in the cache and come back through pipeToSelf; no bytes pass through the actor.
 */
public final class MemoryReplicaAgent extends AbstractBehavior<MemoryReplicaAgent.Command> {
  private static final Logger log = LoggerFactory.getLogger(MemoryReplicaAgent.class);

  public sealed interface Command {}

  /**
   * Hold {@code chunk} in memory for one more lease, loading it first from {@code sources} (its
   * durable replicas) when it is not resident. Every Hold is answered with a {@link ChunkEntity.HoldResult}.
   */
  public record Hold(ChunkId chunk, long lengthBytes, TfsPath owner, List<ReplicaLocation> sources,
      ActorRef<ChunkEntity.Command> replyTo) implements Command, CborSerializable {}

  /** Stop holding {@code chunk}; its pages stay cached until the cache needs them. */
  public record Release(ChunkId chunk) implements Command, CborSerializable {}

  /** How many chunks this node holds for their entities (for tests and the console). */
  public record GetHeld(ActorRef<Held> replyTo) implements Command, CborSerializable {}

  public record Held(String nodeId, List<ChunkId> chunks) implements CborSerializable {}

  private record Loaded(ChunkId chunk, CachedChunk handle, Throwable failure, ActorRef<ChunkEntity.Command> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Sweep implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** A hold: the chunk's handle once loaded (null while loading) and when the lease runs out. */
  private static final class Lease {
    CachedChunk handle;
    long untilNanos;
  }

  private final ChunkCache cache;
  private final Peers peers;
  private final long leaseNanos;
  private final Map<ChunkId, Lease> leases = new HashMap<>();

  public static Behavior<Command> create(ChunkCache cache, Peers peers, ElasticSettings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, settings.reportInterval());
      return new MemoryReplicaAgent(context, cache, peers, settings.lease());
    }));
  }

  private MemoryReplicaAgent(ActorContext<Command> context, ChunkCache cache, Peers peers, Duration lease) {
    super(context);
    this.cache = cache;
    this.peers = peers;
    this.leaseNanos = lease.toNanos();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Hold.class, this::onHold)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Release.class, this::onRelease)
        .onMessage(GetHeld.class, this::onGetHeld)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onSignal(PostStop.class, s -> {
          leases.keySet().forEach(this::releaseHandle);
          return this;
        })
        .build();
  }

  private Behavior<Command> onHold(Hold hold) {
    Lease lease = leases.get(hold.chunk());
    if (lease != null) {
      lease.untilNanos = System.nanoTime() + leaseNanos;
      if (lease.handle != null) hold.replyTo().tell(new ChunkEntity.HoldResult(peers.selfId(), true, ""));
      return this; // still loading: answered when it ends
    }
    lease = new Lease();
    lease.untilNanos = System.nanoTime() + leaseNanos;
    leases.put(hold.chunk(), lease);
    getContext().pipeToSelf(cache.load(hold.chunk(), hold.lengthBytes(), hold.owner(), storeIds(hold.sources())),
        (handle, failure) -> new Loaded(hold.chunk(), handle, failure, hold.replyTo()));
    return this;
  }

  /** This node's replicas first, then the other live nodes' replicas read as one store. */
  private List<String> storeIds(List<ReplicaLocation> sources) {
    List<String> ids = new ArrayList<>();
    List<ReplicaLocation> remote = new ArrayList<>();
    for (ReplicaLocation r : sources) {
      if (r.node().equals(peers.selfId())) {
        ids.add(r.store());
      } else if (peers.isLive(r.node())) {
        remote.add(r);
      }
    }
    if (!remote.isEmpty()) ids.add(ReplicaStores.remoteId(remote));
    return ids;
  }

  private Behavior<Command> onLoaded(Loaded loaded) {
    Lease lease = leases.get(loaded.chunk());
    if (loaded.failure() != null) {
      if (lease != null && lease.handle == null) leases.remove(loaded.chunk());
      Throwable cause = loaded.failure().getCause() != null ? loaded.failure().getCause() : loaded.failure();
      log.info("node {} cannot hold {} in memory: {} {}", peers.selfId(), loaded.chunk(), TfsException.codeOf(cause),
          cause.getMessage());
      loaded.replyTo().tell(new ChunkEntity.HoldResult(peers.selfId(), false, String.valueOf(cause.getMessage())));
      return this;
    }
    if (lease == null || lease.handle != null) {
      loaded.handle().release(); // released while loading, or held already
    } else {
      lease.handle = loaded.handle();
    }
    loaded.replyTo().tell(new ChunkEntity.HoldResult(peers.selfId(), lease != null, lease != null ? "" : "released"));
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    releaseHandle(release.chunk());
    leases.remove(release.chunk());
    return this;
  }

  private Behavior<Command> onSweep() {
    long now = System.nanoTime();
    List<ChunkId> lapsed = new ArrayList<>();
    leases.forEach((chunk, lease) -> {
      if (lease.handle != null && now - lease.untilNanos > 0) lapsed.add(chunk);
    });
    for (ChunkId chunk : lapsed) {
      log.debug("node {}: hold on {} lapsed", peers.selfId(), chunk);
      releaseHandle(chunk);
      leases.remove(chunk);
    }
    ElasticMetrics.held(leases.size());
    return this;
  }

  private Behavior<Command> onGetHeld(GetHeld get) {
    List<ChunkId> held = new ArrayList<>();
    leases.forEach((chunk, lease) -> {
      if (lease.handle != null) held.add(chunk);
    });
    get.replyTo().tell(new Held(peers.selfId(), held));
    return this;
  }

  private void releaseHandle(ChunkId chunk) {
    Lease lease = leases.get(chunk);
    if (lease != null && lease.handle != null) {
      lease.handle.release();
      lease.handle = null;
    }
  }
}
