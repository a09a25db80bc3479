package io.tensorfs.sharding.replication;

import io.tensorfs.core.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node, registered under {@link #KEY}: starts this node's repair sweep when any node asks (an
 * operator's {@code POST /v1/admin/repair}), and answers with this node's id. Control messages only.
 */
public final class RepairTrigger {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-repair");

  public sealed interface Command extends CborSerializable {}

  /** Sweep now (or right after the sweep in progress). */
  public record SweepNow(ActorRef<SweepStarted> replyTo) implements Command {}

  public record SweepStarted(String nodeId) implements CborSerializable {}

  private RepairTrigger() {}

  /** @param sweep starts this node's sweep without blocking ({@link Repairer#sweep}) */
  public static Behavior<Command> create(String nodeId, Runnable sweep) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      return Behaviors.receive(Command.class)
          .onMessage(SweepNow.class, m -> {
            context.getLog().info("repair sweep asked by an operator");
            sweep.run();
            m.replyTo().tell(new SweepStarted(nodeId));
            return Behaviors.same();
          })
          .build();
    });
  }
}
