package io.tensorfs.sharding.drain;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.RepairTrigger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's drain, decommission and repair actions, on any node for any node: the drain state lives
 * in each node's {@link NodeDrainEntity}, which the drained node reads and acts on ({@link DrainWorker}).
 * The nodes known here are this one and the reachable peers; a node that left is still answered for
 * when its entity records a drain. Every call asks with the configured timeout and never blocks.
 * Thread-safe.
 */
public final class NodeDrains {
  private static final Logger log = LoggerFactory.getLogger(NodeDrains.class);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Peers peers;
  private final DrainSettings settings;

  /** Starts Cluster Sharding for the {@link NodeDrainEntity} on this node (every node builds one). */
  public NodeDrains(ActorSystem<?> system, Peers peers, DrainSettings settings) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(NodeDrainEntity.ENTITY_TYPE_KEY, ctx -> NodeDrainEntity.create(ctx.getEntityId())));
    this.peers = peers;
    this.settings = settings;
  }

  /** This node and the reachable peers, by id. */
  public Set<String> members() {
    Set<String> ids = new TreeSet<>(peers.live().keySet());
    ids.add(peers.selfId());
    return ids;
  }

  /**
   * Drains {@code nodeId}: NOT_FOUND unless it is a member; CONFLICT when no other member could take its
   * replicas (it is the last one open to new replicas).
   */
  public CompletionStage<Drain> drain(String nodeId) {
    return start(nodeId, false);
  }

  /** Drains {@code nodeId}, then has it leave the cluster and stop; refused as {@link #drain} is. */
  public CompletionStage<Drain> decommission(String nodeId) {
    return start(nodeId, true);
  }

  private CompletionStage<Drain> start(String nodeId, boolean decommission) {
    if (!members().contains(nodeId)) return notFound(nodeId);
    return all().thenCompose(states -> {
      long open = states.stream()
          .filter(d -> !d.node().equals(nodeId) && !d.state().drains() && !leaving(d.node()))
          .count();
      if (open == 0) {
        return CompletableFuture.<Drain>failedFuture(new TfsException(ErrorCode.CONFLICT, "node " + nodeId
            + " is the last node able to hold replicas: every other node is drained or leaving"));
      }
      return ask(nodeId, r -> new NodeDrainEntity.Start(decommission, r));
    }).thenApply(d -> {
      log.info("drain-started: node {} is {} (asked on {})", nodeId, d.state().wire(), peers.selfId());
      return d;
    });
  }

  /** Whether the cluster member of {@code nodeId} is leaving, exiting or down (as this node's directory saw it). */
  private boolean leaving(String nodeId) {
    if (nodeId.equals(peers.selfId())) return peers.selfDrained() && !peers.adminDrained();
    Peers.PeerInfo p = peers.live().get(nodeId);
    return p == null;
  }

  /** Undrains {@code nodeId}: active again. NOT_FOUND for a node neither a member nor ever drained. */
  public CompletionStage<Drain> undrain(String nodeId) {
    return known(nodeId).thenCompose(d -> ask(nodeId, NodeDrainEntity.Stop::new)).thenApply(d -> {
      log.info("drain-stopped: node {} is active again (asked on {})", nodeId, peers.selfId());
      return d;
    });
  }

  /** {@code nodeId}'s drain; NOT_FOUND for a node neither a member nor ever drained. */
  public CompletionStage<Drain> status(String nodeId) {
    return known(nodeId);
  }

  /** Every member's drain, by node id. */
  public CompletionStage<List<Drain>> all() {
    CompletionStage<List<Drain>> out = CompletableFuture.completedFuture(new ArrayList<>());
    for (String id : members()) {
      CompletionStage<Drain> one = ask(id, NodeDrainEntity.Get::new);
      out = out.thenCombine(one, (list, d) -> {
        list.add(d);
        return list;
      });
    }
    return out.thenApply(List::copyOf);
  }

  /** Starts a repair sweep on every node that answers within the timeout; completes with their ids. */
  public CompletionStage<List<String>> repairEverywhere() {
    CompletionStage<Receptionist.Listing> listing = Stages.onTheSpot(AskPattern.ask(system.receptionist(),
        (ActorRef<Receptionist.Listing> r) -> Receptionist.find(RepairTrigger.KEY, r), settings.askTimeout(),
        system.scheduler()));
    return listing.thenCompose(l -> {
      CompletionStage<List<String>> started = CompletableFuture.completedFuture(new ArrayList<>());
      for (ActorRef<RepairTrigger.Command> trigger : l.getServiceInstances(RepairTrigger.KEY)) {
        CompletionStage<String> one = Stages.onTheSpot(AskPattern.ask(trigger, RepairTrigger.SweepNow::new,
                settings.askTimeout(), system.scheduler()))
            .thenApply(RepairTrigger.SweepStarted::nodeId)
            .exceptionally(e -> null); // a node that does not answer in time is left out
        started = started.thenCombine(one, (ids, id) -> {
          if (id != null) ids.add(id);
          return ids;
        });
      }
      return started.thenApply(ids -> {
        ids.sort(String::compareTo);
        log.info("repair-started: a sweep now on {} (asked on {})", ids, peers.selfId());
        return List.copyOf(ids);
      });
    });
  }

  private CompletionStage<Drain> known(String nodeId) {
    return ask(nodeId, NodeDrainEntity.Get::new).thenCompose(d -> members().contains(nodeId) || d.state().drains()
        ? CompletableFuture.completedFuture(d)
        : notFound(nodeId));
  }

  private static CompletionStage<Drain> notFound(String nodeId) {
    return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no node " + nodeId + " in the cluster"));
  }

  /** Asks {@code nodeId}'s drain entity. */
  CompletionStage<Drain> ask(String nodeId, Function<ActorRef<Drain>, NodeDrainEntity.Command> message) {
    EntityRef<NodeDrainEntity.Command> ref = sharding.entityRefFor(NodeDrainEntity.ENTITY_TYPE_KEY, nodeId);
    CompletableFuture<Drain> result = new CompletableFuture<>();
    ref.ask(message, settings.askTimeout()).whenCompleteAsync((d, e) -> {
      if (e == null) {
        result.complete(d);
        return;
      }
      Throwable cause = Failures.unwrap(e);
      result.completeExceptionally(cause instanceof TfsException t ? t : new TfsException(ErrorCode.UNAVAILABLE,
          "the drain state of " + nodeId + " did not answer within " + settings.askTimeout().toMillis() + " ms", cause));
    }, Stages.ON_THE_SPOT);
    return result;
  }
}
