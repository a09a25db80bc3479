package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What this node knows of the others it can move bytes to: each reachable node's transport endpoint
 * and stores, as {@link PeerDirectory} learns them, and this node's own transport once started.
 * Thread-safe: the view is replaced whole on each change and read without locks.
 */
public final class Peers {
  /** One node as its directory introduced it. */
  public record PeerInfo(String nodeId, String endpoint, List<String> storeIds) {
    public PeerInfo {
      storeIds = List.copyOf(storeIds);
    }
  }

  private final String selfId;
  private final List<Consumer<Map<String, PeerInfo>>> listeners = new CopyOnWriteArrayList<>();
  private volatile Map<String, PeerInfo> live = Map.of();
  private volatile Transport transport;

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

  /** Runs {@code listener} with the new view after every change (on the directory's thread). */
  public void onChange(Consumer<Map<String, PeerInfo>> listener) {
    listeners.add(listener);
  }

  void update(Map<String, PeerInfo> view) {
    Map<String, PeerInfo> copy = Map.copyOf(view);
    if (copy.equals(live)) return;
    live = copy;
    for (Consumer<Map<String, PeerInfo>> l : listeners) l.accept(copy);
  }
}
