package io.tensorfs.sharding.replication;

import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.sharding.ChunkStatus;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What one node's repair sweep does with one chunk it holds a replica of, decided from the chunk's status
 * and which nodes are live and which drained. A replica counts toward the chunk's policy only while it is
 * CLEAN on a live node that is not drained; so a drained node's replicas are copied elsewhere as if they
 * were lacking, and only once enough counting replicas exist may the drained node give its own up
 * ({@link #mayRelease}). Of the live CLEAN holders one acts: a drained holder first (it is the one leaving,
 * and the one that releases its replica after the copy), else the first in placement order. Immutable.
 *
 * @param acts     whether the node deciding copies the chunk
 * @param missing  how many replicas to create (0 when none lack)
 * @param holders  the nodes holding a live CLEAN replica, where no copy goes
 * @param counting the live CLEAN replicas on nodes not drained
 */
public record RepairChoice(boolean acts, int missing, Set<String> holders, int counting) {
  public RepairChoice {
    holders = Set.copyOf(holders);
  }

  /**
   * @param here    the replica of the node deciding
   * @param live    whether a node is this one or a reachable peer
   * @param drained whether a node takes no new replicas (an operator drained it, or its member is leaving)
   */
  public static RepairChoice of(ChunkStatus status, ReplicaLocation here, Predicate<String> live,
      Predicate<String> drained) {
    List<ReplicaLocation> liveClean = status.clean().stream().filter(l -> live.test(l.node())).toList();
    List<ReplicaLocation> order = new ArrayList<>(liveClean.size());
    liveClean.stream().filter(l -> drained.test(l.node())).forEach(order::add);
    liveClean.stream().filter(l -> !drained.test(l.node())).forEach(order::add);
    boolean acts = status.committed() && !order.isEmpty() && order.get(0).equals(here);
    int counting = (int) liveClean.stream().filter(l -> !drained.test(l.node())).count();
    long beingReCreated = status.corrupt().stream()
        .filter(l -> live.test(l.node()) && !drained.test(l.node())).count();
    int missing = Math.max(0, status.wantedReplicas() - counting - (int) beingReCreated);
    Set<String> holders = new LinkedHashSet<>();
    liveClean.forEach(l -> holders.add(l.node()));
    return new RepairChoice(acts, missing, holders, counting);
  }

  /**
   * Whether the drained node's replica {@code here} may go now: the chunk is committed, the replica is
   * recorded, and the policy's count of CLEAN replicas stands on live nodes that are not drained, without it.
   */
  public static boolean mayRelease(ChunkStatus status, ReplicaLocation here, Predicate<String> live,
      Predicate<String> drained) {
    if (!status.committed() || !recorded(status, here)) return false;
    long counting = status.clean().stream()
        .filter(l -> !l.equals(here) && live.test(l.node()) && !drained.test(l.node())).count();
    return counting >= Math.max(1, status.wantedReplicas());
  }

  /** Whether the chunk's entity records a replica on {@code here} that is not STALE or MISSING. */
  public static boolean recorded(ChunkStatus status, ReplicaLocation here) {
    return status.replicas().stream().anyMatch(r -> r.location().equals(here)
        && r.state() != ReplicaState.STALE && r.state() != ReplicaState.MISSING);
  }
}
