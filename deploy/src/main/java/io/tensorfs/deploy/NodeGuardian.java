package io.tensorfs.deploy;

import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The node's guardian: it wires the node's parts as children and starts them one after another (data
 * plane, background workers, edges, lifecycle), then tells the background to start repairs once the
 * lifecycle says the node is ready. A part that cannot start, or a start-up step that fails, fails the
 * node: Coordinated Shutdown runs with {@link FailedToStart} (exit code 1). Stopping goes through
 * Coordinated Shutdown too: the edges and the data plane register their tasks as they start, and the
 * guardian stops the background workers before the cluster shuts down and the data plane last.
 */
final class NodeGuardian extends AbstractBehavior<NodeGuardian.Command> {
  /** The part a child is. */
  enum Part { DATA_PLANE, BACKGROUND, EDGES, LIFECYCLE }

  sealed interface Command {}

  /** A part has started. */
  record Started(Part part) implements Command {}

  /** Every start-up step has completed. */
  record Ready() implements Command {}

  /** A part or a start-up step failed; the node stops. */
  record StartFailed(String what, Throwable cause) implements Command {}

  /** Why Coordinated Shutdown ran when the node could not start; exit code 1 in reference.conf. */
  static final class FailedToStart implements CoordinatedShutdown.Reason {
    static final FailedToStart INSTANCE = new FailedToStart();

    private FailedToStart() {}

    @Override
    public String toString() {
      return "FailedToStart";
    }
  }

  /** Why Coordinated Shutdown ran when a part of a running node failed; exit code 1 in reference.conf. */
  static final class PartFailed implements CoordinatedShutdown.Reason {
    static final PartFailed INSTANCE = new PartFailed();

    private PartFailed() {}

    @Override
    public String toString() {
      return "PartFailed";
    }
  }

  private final NodeSettings settings;
  private final NodeAssembly parts;
  private final Runnable onReady;
  private final CoordinatedShutdown shutdown;
  private ActorRef<BackgroundPart.Command> background;
  private boolean ready;

  private NodeGuardian(ActorContext<Command> context, NodeSettings settings, NodeAssembly parts, Runnable onReady) {
    super(context);
    this.settings = settings;
    this.parts = parts;
    this.onReady = onReady;
    this.shutdown = CoordinatedShutdown.get(context.getSystem());
  }

  /**
   * @param assemble builds the node's parts for the system this guardian runs in
   * @param onReady called once, on the guardian's thread, when every start-up step has completed
   */
  static Behavior<Command> create(NodeSettings settings, Function<ActorSystem<?>, NodeAssembly> assemble,
      Runnable onReady) {
    return Behaviors.setup(context -> {
      NodeGuardian guardian = new NodeGuardian(context, settings, assemble.apply(context.getSystem()), onReady);
      var dataPlane = guardian.spawn(DataPlanePart.create(guardian.parts, settings, context.getSelf()),
          Part.DATA_PLANE, DispatcherSelector.blocking());
      guardian.stopIn(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "tensorfs-stop-data-plane", dataPlane,
          DataPlanePart.Command.STOP);
      return guardian;
    });
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Started.class, this::onStarted)
        .onMessage(Ready.class, r -> onReady())
        .onMessage(StartFailed.class, f -> fail(f.what(), f.cause()))
        .onSignal(ChildFailed.class, f -> fail(f.getRef().path().name(), f.getCause()))
        .onSignal(Terminated.class, t -> this)
        .build();
  }

  private Behavior<Command> onStarted(Started started) {
    if (shutdown.getShutdownReason().isPresent()) return this;
    switch (started.part()) {
      case DATA_PLANE -> {
        background = spawn(BackgroundPart.create(parts, settings, getContext().getSelf()), Part.BACKGROUND,
            DispatcherSelector.defaultDispatcher());
        stopIn(CoordinatedShutdown.PhaseBeforeClusterShutdown(), "tensorfs-stop-background", background,
            BackgroundPart.Command.STOP);
      }
      case BACKGROUND -> spawn(EdgesPart.create(parts, settings, getContext().getSelf()), Part.EDGES,
          DispatcherSelector.blocking());
      case EDGES -> spawn(Lifecycle.create(parts.startSteps(), settings.readinessRetryInterval(),
          getContext().getSelf()), Part.LIFECYCLE, DispatcherSelector.defaultDispatcher());
      default -> throw new IllegalStateException("the lifecycle says Ready, not " + started);
    }
    return this;
  }

  private Behavior<Command> onReady() {
    if (shutdown.getShutdownReason().isPresent()) return this;
    ready = true;
    getContext().getLog().info("node is ready");
    onReady.run();
    background.tell(BackgroundPart.Command.START_REPAIRS);
    return this;
  }

  private Behavior<Command> fail(String what, Throwable cause) {
    if (shutdown.getShutdownReason().isEmpty()) {
      getContext().getLog().error(ready ? "node part {} failed; the node stops" : "node failed to start: {}",
          what, cause);
      shutdown.run(ready ? PartFailed.INSTANCE : FailedToStart.INSTANCE, Optional.empty());
    }
    return this;
  }

  private <T> ActorRef<T> spawn(Behavior<T> behavior, Part part, DispatcherSelector dispatcher) {
    ActorRef<T> child = getContext().spawn(behavior, part.name().toLowerCase().replace('_', '-'), dispatcher);
    getContext().watch(child);
    return child;
  }

  private <T> void stopIn(String phase, String task, ActorRef<T> part, T stop) {
    shutdown.addActorTerminationTask(phase, task, Adapter.toClassic(part), Optional.of(stop));
  }
}
