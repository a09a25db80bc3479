package io.tensorfs.sharding;

import io.tensorfs.core.ReplicaLocation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Chooses the stores of a chunk's replicas among candidates, in the candidates' order of preference. */
final class Placement {
  private Placement() {}

  /**
   * At most {@code wanted} distinct stores: first one store per node, so that a node's loss costs one
   * replica, then further stores of nodes already used while replicas are still wanted.
   */
  static List<ReplicaLocation> choose(List<ReplicaLocation> candidates, int wanted) {
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
}
