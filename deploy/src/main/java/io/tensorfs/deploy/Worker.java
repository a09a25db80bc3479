package io.tensorfs.deploy;

import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background worker that is not an actor itself (the repair sweeps) as one: started when the actor
 * starts, closed when it stops or restarts. A worker that fails to start is started again after a
 * backoff (tensorfs.node.worker-backoff); the node goes on meanwhile.
 */
final class Worker {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private Worker() {}

  static Behavior<Void> create(String name, Supplier<? extends AutoCloseable> start, NodeSettings settings) {
    return Behaviors.supervise(Behaviors.<Void>setup(context -> {
      AutoCloseable running = start.get();
      return Behaviors.receive(Void.class)
          .onSignal(PostStop.class, s -> close(name, running, s))
          .onSignal(PreRestart.class, s -> close(name, running, s))
          .build();
    })).onFailure(backoff(settings));
  }

  /** How every background worker of the node restarts after a failure. */
  static SupervisorStrategy backoff(NodeSettings settings) {
    return SupervisorStrategy.restartWithBackoff(settings.workerMinBackoff(), settings.workerMaxBackoff(), 0.2);
  }

  private static Behavior<Void> close(String name, AutoCloseable running, Signal signal) {
    try {
      running.close();
    } catch (Exception e) {
      log.warn("background worker {} did not close cleanly on {}", name, signal, e);
    }
    return Behaviors.same();
  }
}
