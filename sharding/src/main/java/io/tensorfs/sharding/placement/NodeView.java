package io.tensorfs.sharding.placement;

import java.util.List;

/**
 * One node as placement sees it: its stores with their room, and whether it is drained. A drained node
 * (its cluster member is leaving, exiting or down) still serves what it holds but is never chosen for new
 * replicas. Immutable.
 *
 * @param nodeId  the node's id
 * @param stores  its stores in the node's order
 * @param drained whether the node is on its way out of the cluster
 */
public record NodeView(String nodeId, List<StoreRoom> stores, boolean drained) {
  public NodeView {
    if (nodeId == null || nodeId.isBlank()) throw new IllegalArgumentException("blank node id");
    stores = List.copyOf(stores);
  }
}
