package io.tensorfs.deploy;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The edges' actor: builds them (on the blocking dispatcher) and says when they listen, or that they
 * cannot. In Coordinated Shutdown they stop accepting first (service-unbind), then the requests in
 * flight finish (service-requests-done, at most tensorfs.node.shutdown.edge-terminate-deadline).
 */
final class EdgesPart {
  private EdgesPart() {}

  static Behavior<Void> create(NodeAssembly parts, NodeSettings settings, ActorRef<NodeGuardian.Command> guardian) {
    return Behaviors.setup(context -> {
      Edges edges = parts.edges();
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(context.getSystem());
      shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "tensorfs-edges-unbind", edges::unbind);
      shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "tensorfs-edges-drain",
          () -> edges.drain(settings.edgeTerminateDeadline()));
      edges.bound().whenComplete((bound, e) -> guardian.tell(e == null
          ? new NodeGuardian.Started(NodeGuardian.Part.EDGES)
          : new NodeGuardian.StartFailed("edges", e)));
      return Behaviors.empty();
    });
  }
}
