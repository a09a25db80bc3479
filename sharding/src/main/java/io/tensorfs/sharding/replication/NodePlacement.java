package io.tensorfs.sharding.replication;

import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.sharding.placement.ClusterView;
import io.tensorfs.sharding.placement.NodeView;
import io.tensorfs.sharding.placement.PlacementPolicy;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.store.ChunkStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * This node's placement decisions: the one {@link PlacementPolicy} applied to this node's stores (their
 * room read at each call) and to what {@link Peers} knows of the other nodes (their advertised room,
 * whether they are drained). Uploads ask it for candidates, the repairer for targets.
 *
 * <p>Thread-safe; any thread may call. Each instance turns its own counters, so each user of one spreads
 * its replicas over the cluster.
 */
public final class NodePlacement {
  private final Peers peers;
  private final List<ChunkStore> stores;
  private final PlacementPolicy policy = new PlacementPolicy();

  /** @param stores this node's stores, in the order they are preferred */
  public NodePlacement(Peers peers, List<ChunkStore> stores) {
    this.peers = peers;
    this.stores = List.copyOf(stores);
  }

  /**
   * Where a new chunk of {@code bytes} may go under {@code filePolicy}, best first (see
   * {@link PlacementPolicy#candidates}); empty when no store has room. Reads this node's free space.
   */
  public List<ReplicaLocation> candidates(long bytes, Policy filePolicy) {
    return policy.candidates(bytes, filePolicy, view());
  }

  /**
   * Where to copy a chunk of {@code bytes} lacking {@code missing} replicas, away from the nodes in
   * {@code holders} (see {@link PlacementPolicy#repairTargets}); empty when no node can take it.
   */
  public List<ReplicaLocation> repairTargets(long bytes, int missing, Set<String> holders) {
    return policy.repairTargets(bytes, missing, holders, view());
  }

  /** The cluster as placement sees it now. */
  public ClusterView view() {
    NodeView self = new NodeView(peers.selfId(), rooms(stores), peers.selfDrained());
    return ClusterView.of(self, peers.live().values().stream().map(Peers.PeerInfo::view).toList());
  }

  /**
   * Each store's usable bytes, read now (a statvfs call per store); fails as the store does when its free
   * space cannot be read.
   */
  static List<StoreRoom> rooms(List<ChunkStore> stores) {
    List<StoreRoom> out = new ArrayList<>(stores.size());
    for (ChunkStore s : stores) out.add(new StoreRoom(s.id(), Math.max(0, s.usableBytes())));
    return out;
  }
}
