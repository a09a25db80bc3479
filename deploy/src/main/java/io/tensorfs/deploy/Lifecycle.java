package io.tensorfs.deploy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The way to ready: runs the start-up steps one after another (the schema, the cluster up, the metadata
 * answering, the stores reconciled), attempts a retried step again every retry interval until it
 * succeeds, and tells the guardian {@link NodeGuardian.Ready} after the last, or
 * {@link NodeGuardian.StartFailed} when a step that is not retried fails. Then it stops. Never blocks.
 */
final class Lifecycle extends AbstractBehavior<Lifecycle.Command> {
  sealed interface Command {}

  private record Attempt(int step) implements Command {}

  private record Succeeded(int step) implements Command {}

  private record Failed(int step, Throwable cause) implements Command {}

  private final List<StartStep> steps;
  private final Duration retryInterval;
  private final ActorRef<NodeGuardian.Command> guardian;
  private final TimerScheduler<Command> timers;

  private Lifecycle(ActorContext<Command> context, List<StartStep> steps, Duration retryInterval,
      ActorRef<NodeGuardian.Command> guardian, TimerScheduler<Command> timers) {
    super(context);
    this.steps = List.copyOf(steps);
    this.retryInterval = retryInterval;
    this.guardian = guardian;
    this.timers = timers;
  }

  static Behavior<Command> create(List<StartStep> steps, Duration retryInterval, ActorRef<NodeGuardian.Command> guardian) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.getSelf().tell(new Attempt(0));
      return new Lifecycle(context, steps, retryInterval, guardian, timers);
    }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attempt.class, a -> attempt(a.step()))
        .onMessage(Succeeded.class, s -> attempt(s.step() + 1))
        .onMessage(Failed.class, this::onFailed)
        .build();
  }

  private Behavior<Command> attempt(int step) {
    if (step == steps.size()) {
      guardian.tell(new NodeGuardian.Ready());
      return Behaviors.stopped();
    }
    // An attempt that throws instead of failing its stage is a failed attempt all the same.
    CompletionStage<Done> attempt = CompletableFuture.completedFuture(step)
        .thenCompose(i -> steps.get(i).attempt().get().thenApply(x -> Done.done()));
    getContext().pipeToSelf(attempt, (done, e) -> e == null ? new Succeeded(step) : new Failed(step, e));
    return this;
  }

  private Behavior<Command> onFailed(Failed failed) {
    StartStep step = steps.get(failed.step());
    if (!step.retried()) {
      guardian.tell(new NodeGuardian.StartFailed(step.name(), failed.cause()));
      return Behaviors.stopped();
    }
    getContext().getLog().info("waiting for {}: {}", step.name(), failed.cause().getMessage());
    timers.startSingleTimer(new Attempt(failed.step()), retryInterval);
    return this;
  }
}
