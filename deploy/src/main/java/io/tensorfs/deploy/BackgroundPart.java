package io.tensorfs.deploy;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's background workers: it owns the node's one background timer thread (short tasks only:
 * read-demand reports, repair sweeps, the scrubber's steps), parents the workers that run from the start,
 * and starts the repair sweeps and the scrubber when the node is ready (a corrupt replica they find is
 * marked in the metadata, which must answer). Each worker restarts with backoff on failure. When this actor stops
 * (Coordinated Shutdown's before-cluster-shutdown phase) the workers stop and the timer is shut down.
 */
final class BackgroundPart {
  private static final Logger log = LoggerFactory.getLogger(BackgroundPart.class);

  enum Command { START_REPAIRS, STOP }

  private BackgroundPart() {}

  static Behavior<Command> create(NodeAssembly parts, NodeSettings settings, ActorRef<NodeGuardian.Command> guardian) {
    return Behaviors.setup(context -> {
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(BackgroundPart::timerThread);
      AutoCloseable workers = parts.background(context, timer);
      guardian.tell(new NodeGuardian.Started(NodeGuardian.Part.BACKGROUND));
      return Behaviors.receive(Command.class)
          .onMessageEquals(Command.START_REPAIRS, () -> {
            context.spawn(Worker.create("repairs", () -> parts.repairs(timer), settings), "repairs");
            context.spawn(Worker.create("scrubber", () -> parts.scrubber(timer), settings), "scrubber");
            return Behaviors.same();
          })
          .onMessageEquals(Command.STOP, Behaviors::stopped)
          .onSignal(PostStop.class, stopped -> {
            close(workers);
            timer.shutdownNow();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static Thread timerThread(Runnable r) {
    Thread t = new Thread(r, "tensorfs-background");
    t.setDaemon(true);
    return t;
  }

  private static void close(AutoCloseable workers) {
    try {
      workers.close();
    } catch (Exception e) {
      log.warn("background workers did not close cleanly", e);
    }
  }
}
