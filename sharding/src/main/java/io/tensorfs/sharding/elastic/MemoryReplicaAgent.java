package io.tensorfs.sharding.elastic;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkEntity;
import io.tensorfs.sharding.ElasticSettings;
import io.tensorfs.sharding.MemoryReplicaProtocol.Command;
import io.tensorfs.sharding.MemoryReplicaProtocol.GetHeld;
import io.tensorfs.sharding.MemoryReplicaProtocol.Held;
import io.tensorfs.sharding.MemoryReplicaProtocol.Hold;
import io.tensorfs.sharding.MemoryReplicaProtocol.Release;
import io.tensorfs.sharding.metrics.ElasticMetrics;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.RemoteReplicas;
import io.tensorfs.store.ChunkStore;
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
 * moved or stopped, the holder was dropped), and the chunk is then an ordinary cached chunk again. A node
 * an operator drained refuses holds and releases the ones it has at its next sweep.
 *
 * <p>Loads run in the cache and come back through pipeToSelf; no bytes pass through the actor.
 */
public final class MemoryReplicaAgent extends AbstractBehavior<Command> {
  private static final Logger log = LoggerFactory.getLogger(MemoryReplicaAgent.class);

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
  private final Map<String, ChunkStore> localStores = new HashMap<>();
  private final long leaseNanos;
  private final Map<ChunkId, Lease> leases = new HashMap<>();

  /** @param localStores this node's stores, where its own replicas of a held chunk are read */
  public static Behavior<Command> create(ChunkCache cache, Peers peers, List<ChunkStore> localStores,
      ElasticSettings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, settings.reportInterval());
      return new MemoryReplicaAgent(context, cache, peers, localStores, settings.lease());
    }));
  }

  private MemoryReplicaAgent(ActorContext<Command> context, ChunkCache cache, Peers peers,
      List<ChunkStore> localStores, Duration lease) {
    super(context);
    this.cache = cache;
    this.peers = peers;
    for (ChunkStore s : localStores) this.localStores.put(s.id(), s);
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
    if (peers.adminDrained()) {
      hold.replyTo().tell(new ChunkEntity.HoldResult(peers.selfId(), false, "node " + peers.selfId() + " is drained"));
      return this;
    }
    Lease lease = leases.get(hold.chunk());
    if (lease != null) {
      lease.untilNanos = System.nanoTime() + leaseNanos;
      if (lease.handle != null) hold.replyTo().tell(new ChunkEntity.HoldResult(peers.selfId(), true, ""));
      return this; // still loading: answered when it ends
    }
    lease = new Lease();
    lease.untilNanos = System.nanoTime() + leaseNanos;
    leases.put(hold.chunk(), lease);
    getContext().pipeToSelf(cache.load(hold.chunk(), hold.lengthBytes(), hold.owner(), replicas(hold.sources())),
        (handle, failure) -> new Loaded(hold.chunk(), handle, failure, hold.replyTo()));
    return this;
  }

  /** This node's replicas first, then the other live nodes' replicas read as one store. */
  private List<ChunkStore> replicas(List<ReplicaLocation> sources) {
    List<ChunkStore> out = new ArrayList<>();
    List<ReplicaLocation> remote = new ArrayList<>();
    for (ReplicaLocation r : sources) {
      if (r.node().equals(peers.selfId())) {
        if (localStores.containsKey(r.store())) out.add(localStores.get(r.store()));
      } else if (peers.isLive(r.node())) {
        remote.add(r);
      }
    }
    if (!remote.isEmpty()) out.add(new RemoteReplicas(remote, peers));
    return out;
  }

  private Behavior<Command> onLoaded(Loaded loaded) {
    Lease lease = leases.get(loaded.chunk());
    if (loaded.failure() != null) {
      if (lease != null && lease.handle == null) leases.remove(loaded.chunk());
      Throwable cause = Failures.unwrap(loaded.failure());
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
    boolean drained = peers.adminDrained();
    if (drained && !leases.isEmpty()) log.info("node {} is drained: releasing its {} in-memory holds", peers.selfId(), leases.size());
    List<ChunkId> lapsed = new ArrayList<>();
    leases.forEach((chunk, lease) -> {
      if (lease.handle != null && (drained || now - lease.untilNanos > 0)) lapsed.add(chunk);
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
