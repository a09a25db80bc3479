package io.tensorfs.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * A node made of small fakes that say what happens to them, in order, to one probe: parts built
 * ("data-plane", "background", "edges"), each attempt of a step ("step:NAME"), readiness ("ready"),
 * shutdown ("unbind", "drain", "flush", "repairs-closed", "background-closed", "data-plane-closed") and
 * the repair worker ("repairs-started", "repairs-failed").
 */
final class FakeParts implements NodeAssembly {
  final TestProbe<String> events;
  /** Completes the flush the data plane was asked for; the test decides when. */
  final CompletableFuture<Done> flush = new CompletableFuture<>();
  final List<StartStep> steps = new ArrayList<>();
  RuntimeException dataPlaneFailure;
  int repairFailures;
  private final AtomicInteger repairStarts = new AtomicInteger();

  FakeParts(TestProbe<String> events) {
    this.events = events;
  }

  /** A step that succeeds at once. */
  FakeParts step(String name) {
    return step(name, true, () -> CompletableFuture.completedFuture(Done.done()));
  }

  FakeParts step(String name, boolean retried, java.util.function.Supplier<CompletionStage<Done>> attempt) {
    steps.add(new StartStep(name, retried, () -> {
      events.getRef().tell("step:" + name);
      return attempt.get();
    }));
    return this;
  }

  @Override
  public DataPlane dataPlane(ActorContext<?> context) {
    if (dataPlaneFailure != null) throw dataPlaneFailure;
    events.getRef().tell("data-plane");
    return new DataPlane() {
      @Override
      public CompletionStage<Done> flush() {
        events.getRef().tell("flush");
        return flush;
      }

      @Override
      public void close() {
        events.getRef().tell("data-plane-closed");
      }
    };
  }

  @Override
  public AutoCloseable background(ActorContext<?> context, ScheduledExecutorService timer) {
    events.getRef().tell("background");
    return () -> events.getRef().tell("background-closed");
  }

  @Override
  public Edges edges() {
    events.getRef().tell("edges");
    return new Edges() {
      @Override
      public CompletionStage<Done> bound() {
        return CompletableFuture.completedFuture(Done.done());
      }

      @Override
      public CompletionStage<Done> unbind() {
        events.getRef().tell("unbind");
        return CompletableFuture.completedFuture(Done.done());
      }

      @Override
      public CompletionStage<Done> drain(Duration deadline) {
        events.getRef().tell("drain");
        return CompletableFuture.completedFuture(Done.done());
      }
    };
  }

  @Override
  public List<StartStep> startSteps() {
    return steps;
  }

  @Override
  public AutoCloseable repairs(ScheduledExecutorService timer) {
    if (repairStarts.incrementAndGet() <= repairFailures) {
      events.getRef().tell("repairs-failed");
      throw new IllegalStateException("repairs cannot start yet");
    }
    events.getRef().tell("repairs-started");
    return () -> events.getRef().tell("repairs-closed");
  }

  @Override
  public AutoCloseable scrubber(ScheduledExecutorService timer) {
    return () -> {};
  }
}
