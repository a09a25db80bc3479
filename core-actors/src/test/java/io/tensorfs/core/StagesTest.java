package io.tensorfs.core;

import static io.tensorfs.core.testing.Awaits.await;
import static io.tensorfs.core.testing.Awaits.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import scala.concurrent.Promise;
import scala.jdk.javaapi.FutureConverters;

/**
 * A stage from Scala's converter (what Pekko's Java API returns) runs what is chained on it on the common
 * pool; through {@link Stages#onTheSpot} it runs on the thread that completes it.
 */
class StagesTest {
  @Test
  void shouldRunWhatIsChainedOnTheThreadThatCompletesTheStage() throws Exception {
    Promise<String> pekko = Promise.apply();
    CompletionStage<String> converted = FutureConverters.asJava(pekko.future());
    CompletableFuture<String> ranOnConverted = converted.thenApply(v -> Thread.currentThread().getName()).toCompletableFuture();
    CompletableFuture<String> ranOnSpot = Stages.onTheSpot(converted).thenApply(v -> Thread.currentThread().getName());

    Thread completer = new Thread(() -> pekko.success("v"), "the-completing-thread");
    completer.start();
    completer.join();

    assertEquals("the-completing-thread", await(ranOnSpot));
    assertNotEquals("the-completing-thread", await(ranOnConverted), "the converter's own callbacks hop to the pool");
  }

  @Test
  void shouldPassAFailureOn() {
    Promise<String> pekko = Promise.apply();
    CompletableFuture<String> plain = Stages.onTheSpot(FutureConverters.asJava(pekko.future()));
    pekko.failure(new IllegalStateException("refused"));
    Throwable failed = failure(plain);
    assertTrue(failed instanceof IllegalStateException, failed.toString());
    assertEquals("refused", failed.getMessage());
  }
}
