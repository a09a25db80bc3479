package io.tensorfs.deploy;

import io.tensorfs.gateway.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;

/** What the node says of itself to its edges: its id, whether it is ready, the cluster's members. Thread-safe. */
record ClusterStatus(String nodeId, BooleanSupplier readiness, ActorSystem<?> system) implements NodeStatus {
  @Override
  public boolean ready() {
    return readiness.getAsBoolean();
  }

  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(m -> out.add(m.address() + " (" + m.status() + ")"));
    return out;
  }
}
