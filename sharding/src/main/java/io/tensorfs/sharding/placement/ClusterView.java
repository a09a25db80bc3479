package io.tensorfs.sharding.placement;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A snapshot of the cluster from one node, the input of every {@link PlacementPolicy} decision: this node
 * and the other reachable nodes (drained ones included, flagged). Immutable.
 *
 * @param self   the node deciding
 * @param others the other reachable nodes, sorted by node id
 */
public record ClusterView(NodeView self, List<NodeView> others) {
  public ClusterView {
    if (self == null) throw new IllegalArgumentException("no self node");
    List<NodeView> sorted = new ArrayList<>(others);
    sorted.removeIf(n -> n.nodeId().equals(self.nodeId()));
    sorted.sort(Comparator.comparing(NodeView::nodeId));
    others = List.copyOf(sorted);
  }

  public static ClusterView of(NodeView self, Collection<NodeView> others) {
    return new ClusterView(self, List.copyOf(others));
  }

  /** This node, then the others by node id. */
  public List<NodeView> all() {
    List<NodeView> all = new ArrayList<>(others.size() + 1);
    all.add(self);
    all.addAll(others);
    return all;
  }
}
