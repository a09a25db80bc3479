package io.tensorfs.sharding.drain;

import io.tensorfs.core.Failures;
import io.tensorfs.sharding.events.NodeEvent;
import io.tensorfs.sharding.events.NodeEvents;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.SweepResult;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of its drain: every {@code poll-interval} it reads its own {@link NodeDrainEntity} and,
 * when the state starts or stops draining, sets {@link Peers#adminDrain} (placement here stops or resumes
 * choosing this node), has the node's directory tell the other nodes at once, and starts a repair sweep.
 * After each sweep it reports the replicas left here to the entity, which ends the drain at 0. A
 * decommissioning node, once a sweep run wholly while drained found nothing left, records itself
 * decommissioned and leaves the cluster: the cluster removes it and Coordinated Shutdown stops the
 * process (exit code 0).
 *
 * <p>Runs on the node's background timer and the ask's completion threads; the fields it shares are
 * volatile or atomic.
 */
public final class DrainWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DrainWorker.class);

  private final ActorSystem<?> system;
  private final NodeDrains drains;
  private final Peers peers;
  private final Runnable sweep;
  private final Runnable announce;
  private final DrainSettings settings;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean leaving = new AtomicBoolean();
  private volatile DrainState last;
  private volatile SweepResult lastSweep;
  private volatile ScheduledFuture<?> polling;

  /**
   * @param sweep    starts this node's repair sweep without blocking
   * @param announce has this node's directory introduce it again to the other nodes (its drain flag changed)
   */
  public DrainWorker(ActorSystem<?> system, NodeDrains drains, Peers peers, Runnable sweep, Runnable announce,
      DrainSettings settings, ScheduledExecutorService timer) {
    this.system = system;
    this.drains = drains;
    this.peers = peers;
    this.sweep = sweep;
    this.announce = announce;
    this.settings = settings;
    this.timer = timer;
  }

  /** Starts polling this node's drain state. */
  public DrainWorker start() {
    long every = settings.pollInterval().toMillis();
    polling = timer.scheduleWithFixedDelay(this::poll, 0, every, TimeUnit.MILLISECONDS);
    return this;
  }

  private void poll() {
    drains.ask(peers.selfId(), NodeDrainEntity.Get::new).whenComplete((d, e) -> {
      if (e != null) log.debug("drain state of {} not read now: {}", peers.selfId(), Failures.unwrap(e).toString());
      else seen(d);
    });
  }

  /** A sweep ended: tells the entity what is left here. */
  public void swept(SweepResult result) {
    lastSweep = result;
    drains.ask(peers.selfId(), r -> new NodeDrainEntity.Report(result.replicasHere(), result.stuckReason(),
        result.drainedThroughout(), r)).whenComplete((d, e) -> {
          if (e != null) log.debug("drain progress of {} not recorded now: {}", peers.selfId(), Failures.unwrap(e).toString());
          else seen(d);
        });
  }

  private synchronized void seen(Drain d) {
    DrainState before = last;
    last = d.state();
    boolean drains = d.state().drains();
    if (drains != peers.adminDrained()) {
      peers.adminDrain(drains);
      announce.run();
      if (drains) {
        log.info("drain-started: node {} is {}: it takes no new replicas; its replicas are copied away", d.node(),
            d.state().wire());
        publish(NodeEvent.Kind.DRAIN_STARTED, d.node(), d.state().wire() + ": takes no new replicas; its replicas are copied away");
        sweep.run();
      } else {
        log.info("drain-stopped: node {} is active again and takes new replicas", d.node());
      }
    }
    if (d.state() != before && before != null) {
      if (d.state() == DrainState.DRAINED) {
        log.info("drain-done: node {} holds no replica", d.node());
        publish(NodeEvent.Kind.DRAIN_DONE, d.node(), "drained: holds no replica");
      }
      if (d.state() == DrainState.DRAINING && before == DrainState.DRAINED) {
        log.info("node {}: {} replicas turned up after the drain was done; draining again", d.node(), d.replicasLeft());
      }
    }
    if (!d.stuck().isEmpty() && before != null && d.state().drains()) {
      log.debug("drain of {} is stuck: {}", d.node(), d.stuck());
    }
    SweepResult sweepNow = lastSweep;
    if (d.state() == DrainState.DECOMMISSIONING && sweepNow != null && sweepNow.drainedThroughout()
        && sweepNow.replicasHere() == 0) {
      leave();
    }
  }

  /** Tells every node's admin console. */
  private void publish(NodeEvent.Kind kind, String node, String detail) {
    NodeEvents.get(system).publish(NodeEvent.of(kind, node, detail));
  }

  private void leave() {
    if (!leaving.compareAndSet(false, true)) return;
    drains.ask(peers.selfId(), NodeDrainEntity.MarkDecommissioned::new).whenComplete((d, e) -> {
      if (e != null) {
        leaving.set(false);
        log.warn("node {} is drained but could not record its decommission: {}", peers.selfId(),
            Failures.unwrap(e).toString());
        return;
      }
      log.info("drain-done: node {} is decommissioned: it holds no replica and leaves the cluster now", d.node());
      publish(NodeEvent.Kind.DRAIN_DONE, d.node(), "decommissioned: holds no replica, leaves the cluster");
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Leave.create(cluster.selfMember().address()));
    });
  }

  @Override
  public void close() {
    ScheduledFuture<?> p = polling;
    if (p != null) p.cancel(false);
  }
}
