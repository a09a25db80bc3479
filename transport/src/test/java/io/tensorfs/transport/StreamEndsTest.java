package io.tensorfs.transport;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.core.testing.Awaits.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stream's end action has run, once, by the time its consumer sees the end: completed, failed or
 * cancelled. Each case checks many streams, since the asynchronous callback it replaces was late in a few
 * percent of them.
 */
class StreamEndsTest {
  private static final int STREAMS = 200;
  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "stream-ends-test");
  }

  @AfterAll
  static void stop() {
    ActorTestKit.shutdown(system, Duration.ofSeconds(10));
  }

  @Test
  void shouldRunTheActionBeforeTheConsumerSeesTheStreamComplete() {
    for (int i = 0; i < STREAMS; i++) {
      AtomicInteger ran = new AtomicInteger();
      List<Integer> got = await(StreamEnds.whenEnded(Source.range(1, 3), ran::incrementAndGet).runWith(Sink.seq(), system));
      assertEquals(List.of(1, 2, 3), got);
      assertEquals(1, ran.get(), "the action ran once, before the end reached the consumer (stream " + i + ")");
    }
  }

  @Test
  void shouldRunTheActionBeforeTheConsumerSeesTheStreamFail() {
    for (int i = 0; i < STREAMS; i++) {
      AtomicInteger ran = new AtomicInteger();
      CompletionStage<List<Integer>> seen = StreamEnds.whenEnded(
          Source.<Integer>failed(new IllegalStateException("broken")), ran::incrementAndGet).runWith(Sink.seq(), system);
      assertTrue(failure(seen) instanceof IllegalStateException);
      assertEquals(1, ran.get(), "the action ran once, before the failure reached the consumer (stream " + i + ")");
    }
  }

  @Test
  void shouldRunTheActionWhenTheConsumerCancels() {
    for (int i = 0; i < STREAMS; i++) {
      AtomicInteger ran = new AtomicInteger();
      CompletableFuture<Integer> never = new CompletableFuture<>();
      Source<Integer, ?> endless = Source.single(1).concat(Source.completionStage(never));
      assertEquals(List.of(1), await(StreamEnds.whenEnded(endless, ran::incrementAndGet).take(1).runWith(Sink.seq(), system)));
      assertEquals(1, ran.get(), "the action ran once, before the consumer's end (stream " + i + ")");
    }
  }
}
