package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.placement.NodeView;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of the others it can move bytes to: each reachable node's transport endpoint,
 * stores with their advertised room, and whether it is drained, as {@link PeerDirectory} learns them;
 * whether this node itself is drained; and this node's own transport once started.
 * Thread-safe: the view is replaced whole on each change and read without locks.
 */
public final class Peers {
  private static final Logger log = LoggerFactory.getLogger(Peers.class);

  /**
   * One node as its directory introduced it.
   *
   * @param stores  its stores with the usable bytes it last advertised (refreshed every few seconds)
   * @param drained whether its cluster member is leaving, exiting or down, or an operator drained it: it
   *     serves what it holds but takes no new replicas
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
  private final RemoteReadSettings remoteRead;
  private final NodeWindows windows;
  private final List<Consumer<Map<String, PeerInfo>>> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, PeerInfo> live = Map.of();
  private volatile Transport transport;
  private volatile boolean selfDrained;
  private volatile boolean adminDrained;
  private volatile int replicaNodes = 1;
  /** The count last logged; written on the directory's thread only. */
  private int announcedReplicaNodes = -1;

  /** A node's peers with the default {@link RemoteReadSettings}. */
  public Peers(String selfId) {
    this(selfId, RemoteReadSettings.DEFAULTS);
  }

  /** @param remoteRead how chunks are read from other nodes' replicas ({@link RemoteReplicas}) */
  public Peers(String selfId, RemoteReadSettings remoteRead) {
    this.selfId = selfId;
    this.remoteRead = remoteRead;
    this.windows = new NodeWindows(remoteRead.perNode());
  }

  public String selfId() {
    return selfId;
  }

  /** How chunks are read from other nodes' replicas: segment size and fetches in flight. */
  public RemoteReadSettings remoteRead() {
    return remoteRead;
  }

  /** The bound on segment fetches in flight to each other node ({@link RemoteReadSettings#perNode}). */
  NodeWindows windows() {
    return windows;
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

  /**
   * Whether this node takes no new replicas: its cluster member is leaving, exiting or down, or an operator
   * drained it ({@link #adminDrained}).
   */
  public boolean selfDrained() {
    return selfDrained || adminDrained;
  }

  /** Whether an operator drained this node (its drain state in the metadata store is not active). */
  public boolean adminDrained() {
    return adminDrained;
  }

  /**
   * Sets whether an operator drained this node, as its drain worker read it from the metadata store; the
   * node's directory tells the other nodes with its next introduction.
   */
  public void adminDrain(boolean drained) {
    adminDrained = drained;
  }

  /** How many reachable nodes, this one included, take new replicas (not drained). */
  public int openNodes() {
    int open = selfDrained() ? 0 : 1;
    for (PeerInfo p : live.values()) if (!p.drained()) open++;
    return open;
  }

  /**
   * How many nodes of the cluster can hold replicas: what caps the durable replicas a write waits for
   * ({@link Policy#effectiveMinInsync}). {@link PeerDirectory} keeps it from cluster membership: a member
   * counts from the time it advertised a store (this node: from the start, when it has one) until it is
   * removed from the cluster, whether or not it is reachable now; a member that leaves on purpose (leaving,
   * exiting) stops counting when it starts to leave. So a node that crashed keeps counting until the cluster
   * downs and removes it: a write that needs its replica fails meanwhile instead of silently waiting for
   * fewer, and in a cluster whose majority is lost the survivors never remove the others (the split-brain
   * resolver downs the minority itself), so their count never falls. 1 until the directory has counted:
   * a node alone.
   */
  public int replicaNodes() {
    return replicaNodes;
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

  /** Sets {@link #replicaNodes}, saying so in the log the first time and whenever it changes (directory's thread). */
  void replicaNodes(int count) {
    int nodes = Math.max(1, count);
    replicaNodes = nodes;
    if (nodes == announcedReplicaNodes || selfDrained) return; // a node on its way out has nothing to announce
    announcedReplicaNodes = nodes;
    int defaultWaits = Policy.PERSISTENT.effectiveMinInsync(nodes);
    if (defaultWaits < Policy.PERSISTENT.minInsync()) {
      log.info("{} node(s) of the cluster can hold replicas: a persistent(r,m) write waits for min(m, {}) durable "
          + "replicas; persistent (= persistent(3,2)) is capped at {}, and its files stay under-replicated until more "
          + "nodes join", nodes, nodes, defaultWaits);
    } else {
      log.info("{} node(s) of the cluster can hold replicas: a persistent(r,m) write waits for min(m, {}) durable "
          + "replicas; persistent (= persistent(3,2)) waits for {}", nodes, nodes, defaultWaits);
    }
  }

  private static boolean sameMembers(Map<String, PeerInfo> a, Map<String, PeerInfo> b) {
    if (!a.keySet().equals(b.keySet())) return false;
    for (var e : a.entrySet()) {
      if (!e.getValue().sameMember(b.get(e.getKey()))) return false;
    }
    return true;
  }
}
