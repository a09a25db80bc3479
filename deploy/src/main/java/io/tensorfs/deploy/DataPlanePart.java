package io.tensorfs.deploy;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's actor: builds it (on the blocking dispatcher: stores scan their directories, the page
 * pool is touched), parents its actors (stores, cache, peer directory), flushes write-back data to disk
 * in Coordinated Shutdown's service-stop phase (after the edges have drained), and closes the transport
 * when it stops, the last part to go before the actor system terminates.
 */
final class DataPlanePart {
  private static final Logger log = LoggerFactory.getLogger(DataPlanePart.class);

  enum Command { STOP }

  private DataPlanePart() {}

  static Behavior<Command> create(NodeAssembly parts, NodeSettings settings, ActorRef<NodeGuardian.Command> guardian) {
    return Behaviors.setup(context -> {
      DataPlane plane = parts.dataPlane(context);
      CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseServiceStop(),
          "tensorfs-flush-write-back", () -> flushWithin(plane, settings));
      guardian.tell(new NodeGuardian.Started(NodeGuardian.Part.DATA_PLANE));
      return Behaviors.receive(Command.class)
          .onMessageEquals(Command.STOP, Behaviors::stopped)
          .onSignal(PostStop.class, stopped -> {
            plane.close();
            return Behaviors.same();
          })
          .build();
    });
  }

  /** Never fails: what did not reach its disk by the deadline is lost, as with a crash, and said so. */
  private static CompletionStage<Done> flushWithin(DataPlane plane, NodeSettings settings) {
    long startNanos = System.nanoTime();
    return plane.flush().toCompletableFuture()
        .thenApply(done -> true)
        .exceptionally(e -> {
          log.warn("write-back flush failed; chunks still only in memory are lost", e);
          return true;
        })
        .completeOnTimeout(false, settings.flushDeadline().toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(flushed -> {
          if (flushed) {
            log.info("write-back data flushed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
          } else {
            log.warn("write-back flush did not finish within {}; chunks still only in memory are lost",
                settings.flushDeadline());
          }
          return Done.done();
        });
  }
}
