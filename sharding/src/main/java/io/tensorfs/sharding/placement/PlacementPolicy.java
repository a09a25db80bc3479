package io.tensorfs.sharding.placement;

import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one placement rule of the node: where a new chunk may go, which of those candidates hold its
 * replicas, and where a chunk that lacks replicas is copied. Every decision takes a {@link ClusterView}
 * snapshot; drained nodes and stores without room for the chunk are never chosen.
 *
 * <p>Thread-safe: the only state is two turn counters (one for uploads, one for repairs) that spread new
 * replicas over the nodes; any thread may call. A node keeps one instance per user of it, so each user's
 * turns go round the cluster.
 */
public final class PlacementPolicy {
  private final AtomicInteger uploads = new AtomicInteger();
  private final AtomicInteger repairs = new AtomicInteger();

  /**
   * Where a new chunk of {@code bytes} may go, best first: this node's stores with room, then (for durable
   * policies that want more than one replica) the other nodes' stores with room, the order of the nodes
   * turning with each call so that chains spread over the cluster. A {@code kvcache} chunk stays on this
   * node. Empty when no store has room.
   */
  public List<ReplicaLocation> candidates(long bytes, Policy policy, ClusterView view) {
    List<ReplicaLocation> out = new ArrayList<>();
    if (!view.self().drained()) addStoresWithRoom(view.self(), bytes, out);
    if (policy.replicas() <= 1 || !policy.durable()) return List.copyOf(out);
    List<NodeView> others = view.others().stream().filter(n -> !n.drained()).toList();
    int turn = others.isEmpty() ? 0 : Math.floorMod(uploads.getAndIncrement(), others.size());
    for (int i = 0; i < others.size(); i++) {
      addStoresWithRoom(others.get((turn + i) % others.size()), bytes, out);
    }
    return List.copyOf(out);
  }

  /**
   * The stores of a chunk's replicas among {@code candidates}, in the candidates' order of preference: at
   * most {@code wanted} distinct stores, first one store per node, so that a node's loss costs one
   * replica, then further stores of nodes already used while replicas are still wanted.
   */
  public static List<ReplicaLocation> choose(List<ReplicaLocation> candidates, int wanted) {
    Set<ReplicaLocation> distinct = new LinkedHashSet<>(candidates);
    List<ReplicaLocation> chosen = new ArrayList<>();
    Set<String> nodes = new HashSet<>();
    for (ReplicaLocation c : distinct) {
      if (chosen.size() < wanted && nodes.add(c.node())) chosen.add(c);
    }
    for (ReplicaLocation c : distinct) {
      if (chosen.size() < wanted && !chosen.contains(c)) chosen.add(c);
    }
    return List.copyOf(chosen);
  }

  /**
   * Where to copy a chunk of {@code bytes} that lacks {@code missing} replicas: at most that many nodes,
   * one store each, among the nodes of {@code view} that hold none of it ({@code holders} names the nodes
   * that do), are not drained and have a store with room for it; on each, its store with most room. The
   * nodes' order turns with each call, so that repairs spread over the cluster instead of filling the
   * first peer. Empty while no such node exists: the chunk stays under-replicated until one joins.
   */
  public List<ReplicaLocation> repairTargets(long bytes, int missing, Set<String> holders, ClusterView view) {
    if (missing <= 0) return List.of();
    List<ReplicaLocation> open = new ArrayList<>();
    for (NodeView n : view.all()) {
      if (n.drained() || holders.contains(n.nodeId())) continue;
      roomiest(n, bytes).ifPresent(s -> open.add(new ReplicaLocation(n.nodeId(), s.storeId())));
    }
    if (open.isEmpty()) return List.of();
    int turn = Math.floorMod(repairs.getAndIncrement(), open.size());
    List<ReplicaLocation> targets = new ArrayList<>();
    for (int i = 0; i < Math.min(missing, open.size()); i++) targets.add(open.get((turn + i) % open.size()));
    return List.copyOf(targets);
  }

  private static void addStoresWithRoom(NodeView node, long bytes, List<ReplicaLocation> out) {
    for (StoreRoom s : node.stores()) {
      if (s.fits(bytes)) out.add(new ReplicaLocation(node.nodeId(), s.storeId()));
    }
  }

  private static Optional<StoreRoom> roomiest(NodeView node, long bytes) {
    return node.stores().stream().filter(s -> s.fits(bytes)).max(Comparator.comparingLong(StoreRoom::usableBytes));
  }
}
