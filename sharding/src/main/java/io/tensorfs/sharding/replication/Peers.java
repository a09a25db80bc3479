package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.placement.NodeView;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What this node knows of the others it can move bytes to: each reachable node's transport endpoint,
 * stores with their advertised room, and whether it is drained, as {@link PeerDirectory} learns them;
 * whether this node itself is drained; and this node's own transport once started.
 * Thread-safe: the view is replaced whole on each change and read without locks.
 */
public final class Peers {
  /**
   * One node as its directory introduced it.
   *
   * @param stores  its stores with the usable bytes it last advertised (refreshed every few seconds)
   * @param drained whether its cluster member is leaving, exiting or down: it serves what it holds but
   *     takes no new replicas
   */
  public record PeerInfo(String nodeId, String endpoint, List<StoreRoom> stores, boolean drained) {
    public PeerInfo {
      stores = List.copyOf(stores);
    }

    /** Its store ids, in its order. */
    public List<String> storeIds() {
      return stores.stream().map(StoreRoom::storeId).toList();
    }

    /** The node as placement sees it. */
    public NodeView view() {
      return new NodeView(nodeId, stores, drained);
    }

    /** Whether {@code other} is the same member (all but the stores' room, which changes all the time). */
    boolean sameMember(PeerInfo other) {
      return other != null && nodeId.equals(other.nodeId) && endpoint.equals(other.endpoint)
          && storeIds().equals(other.storeIds()) && drained == other.drained;
    }
  }

  private final String selfId;
  private final List<Consumer<Map<String, PeerInfo>>> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, PeerInfo> live = Map.of();
  private volatile Transport transport;
  private volatile boolean selfDrained;

  public Peers(String selfId) {
    this.selfId = selfId;
  }

  public String selfId() {
    return selfId;
  }

  /** Called once, when the node's transport listens. */
  public void connect(Transport transport) {
    this.transport = transport;
  }

  /** This node's transport; UNAVAILABLE until {@link #connect} ran. */
  public Transport transport() {
    Transport t = transport;
    if (t == null) throw new TfsException(ErrorCode.UNAVAILABLE, "the transport of " + selfId + " is not started yet");
    return t;
  }

  /** The reachable nodes other than this one, by node id. */
  public Map<String, PeerInfo> live() {
    return live;
  }

  /** Whether this node's cluster member is leaving, exiting or down: it takes no new replicas then. */
  public boolean selfDrained() {
    return selfDrained;
  }

  /** Whether {@code nodeId} is this node or a reachable peer. */
  public boolean isLive(String nodeId) {
    return nodeId.equals(selfId) || live.containsKey(nodeId);
  }

  /** The endpoint to reach {@code nodeId} at; UNAVAILABLE when it is not a reachable peer. */
  public String endpointOf(String nodeId) {
    PeerInfo p = live.get(nodeId);
    if (p == null) throw new TfsException(ErrorCode.UNAVAILABLE, "node " + nodeId + " is not reachable");
    return p.endpoint();
  }

  /**
   * Runs {@code listener} with the new view after every change of membership: a node coming or going,
   * its endpoint or stores changing, or its being drained (on the directory's thread). A change of the
   * stores' room alone updates {@link #live} without calling listeners.
   */
  public void onChange(Consumer<Map<String, PeerInfo>> listener) {
    listeners.add(listener);
  }

  void update(Map<String, PeerInfo> view) {
    Map<String, PeerInfo> copy = Map.copyOf(view);
    Map<String, PeerInfo> before = live;
    live = copy;
    if (!sameMembers(before, copy)) {
      for (Consumer<Map<String, PeerInfo>> l : listeners) l.accept(copy);
    }
  }

  void drainSelf(boolean drained) {
    selfDrained = drained;
  }

  private static boolean sameMembers(Map<String, PeerInfo> a, Map<String, PeerInfo> b) {
    if (!a.keySet().equals(b.keySet())) return false;
    for (var e : a.entrySet()) {
      if (!e.getValue().sameMember(b.get(e.getKey()))) return false;
    }
    return true;
  }
}
