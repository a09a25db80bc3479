package io.tensorfs.sharding;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.metrics.ElasticMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory replicas of one {@code cache(min,max)} chunk, run by its {@link ChunkEntity}: from the
 * nodes' read reports it decides how many replicas the demand calls for ({@link ReadDemand}), asks that
 * many of the reading nodes (most reads first) to hold the chunk in memory, renews their holds each
 * report interval, and releases the surplus once demand has cooled. Soft state, not journaled: when the
 * entity stops, the holds lapse on their nodes by themselves, and fresh reports build it again.
 *
 * <p>Runs on the entity's actor; not thread-safe.
 */
final class ElasticReplicas {
  private static final Logger log = LoggerFactory.getLogger(ElasticReplicas.class);
  private static final Object TICK_KEY = "elastic-tick";

  private final ChunkId chunk;
  private final ElasticSettings settings;
  private final ReadDemand demand;
  private final TimerScheduler<ChunkEntity.Command> timers;
  private final ActorRef<ChunkEntity.Command> self;
  private final Map<String, ActorRef<MemoryReplicaProtocol.Command>> agents = new HashMap<>();
  private final Map<String, Holder> holders = new LinkedHashMap<>();
  private final Map<String, Long> refusedUntil = new HashMap<>();
  private TfsPath owner;

  /** A node asked to hold the chunk: whether it has confirmed, and when it last did (or was asked). */
  private record Holder(boolean confirmed, long atNanos) {}

  ElasticReplicas(ChunkId chunk, ElasticSettings settings, Policy policy, TimerScheduler<ChunkEntity.Command> timers,
      ActorRef<ChunkEntity.Command> self) {
    this.chunk = chunk;
    this.settings = settings;
    this.demand = new ReadDemand(settings, policy.cacheMin());
    this.timers = timers;
    this.self = self;
  }

  void report(ChunkEntity.ReportReads r, ChunkEntity.State state) {
    long now = System.nanoTime();
    agents.put(r.node(), r.agent());
    owner = r.owner();
    demand.report(r.node(), r.reads(), r.windowMillis(), now);
    if (!timers.isTimerActive(TICK_KEY)) {
      timers.startTimerWithFixedDelay(TICK_KEY, ChunkEntity.ElasticTick.INSTANCE, settings.reportInterval());
    }
    revise(state, now);
  }

  /** Each interval: renew the holds, then revise the count; stops ticking once nothing is left to do. */
  void tick(ChunkEntity.State state) {
    long now = System.nanoTime();
    for (String node : holders.keySet()) agents.get(node).tell(hold(state));
    revise(state, now);
    if (holders.isEmpty() && !demand.active(now)) {
      timers.cancel(TICK_KEY);
      ElasticMetrics.idle(chunk);
    }
  }

  void result(ChunkEntity.HoldResult r) {
    if (!holders.containsKey(r.node())) {
      if (r.held()) agents.get(r.node()).tell(new MemoryReplicaProtocol.Release(chunk)); // dropped meanwhile
      return;
    }
    if (r.held()) {
      holders.put(r.node(), new Holder(true, System.nanoTime()));
    } else {
      holders.remove(r.node());
      refusedUntil.put(r.node(), System.nanoTime() + settings.coolAfter().toNanos());
      log.info("chunk {}: node {} cannot hold it in memory: {}", chunk, r.node(), r.reason());
    }
  }

  /** Releases every hold (the chunk was deleted). */
  void releaseAll() {
    for (String node : holders.keySet()) agents.get(node).tell(new MemoryReplicaProtocol.Release(chunk));
    holders.clear();
    timers.cancel(TICK_KEY);
    ElasticMetrics.idle(chunk);
  }

  /** What {@code GET /v1/stat} shows: the nodes holding the chunk now, the count wanted, the demand. */
  ChunkStatus.Memory view() {
    long now = System.nanoTime();
    List<String> confirmed = holders.entrySet().stream().filter(e -> e.getValue().confirmed())
        .map(Map.Entry::getKey).sorted().toList();
    return new ChunkStatus.Memory(confirmed, demand.wanted(), demand.readsPerSecond(now));
  }

  private void revise(ChunkEntity.State state, long now) {
    Policy policy = state.policy().orElseThrow();
    int wanted = demand.wanted(now, policy.cacheMin(), policy.cacheMax());
    // A holder that has not confirmed for a lease is gone (its node died or restarted). A first load may
    // take longer (a whole chunk from another node's disk), so it has a few leases.
    holders.entrySet().removeIf(e -> now - e.getValue().atNanos()
        > settings.lease().toNanos() * (e.getValue().confirmed() ? 1 : 4));
    refusedUntil.values().removeIf(until -> now - until > 0);
    List<String> readers = demand.readers(now);
    for (String node : readers) {
      if (holders.size() >= wanted) break;
      if (holders.containsKey(node) || refusedUntil.containsKey(node)) continue;
      holders.put(node, new Holder(false, now));
      agents.get(node).tell(hold(state));
    }
    if (holders.size() > wanted) {
      // Release those reading the chunk least: first the ones not reading it at all.
      List<String> order = new ArrayList<>(holders.keySet());
      order.sort(java.util.Comparator.comparingInt(
          (String n) -> readers.contains(n) ? readers.size() - readers.indexOf(n) : 0));
      for (String node : order) {
        if (holders.size() <= wanted) break;
        holders.remove(node);
        agents.get(node).tell(new MemoryReplicaProtocol.Release(chunk));
      }
    }
    ElasticMetrics.revised(chunk, holders.size(), wanted, settings.reportInterval().toNanos() * 3);
  }

  private MemoryReplicaProtocol.Hold hold(ChunkEntity.State state) {
    return new MemoryReplicaProtocol.Hold(chunk, state.lengthBytes(), owner, state.status(chunk).clean(), self);
  }
}
