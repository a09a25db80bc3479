package io.tensorfs.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Keeps callbacks on the thread that completes a stage Pekko returned.
 *
 * <p>Pekko's Java API hands out its futures (an ask's reply, a stream's materialized value) through Scala's
 * converter, whose {@code thenApply}, {@code whenComplete} and the like run their callback asynchronously on
 * the common pool, and so does every stage chained after them. On a machine of two cores that pool has one
 * thread, and each such callback then starts a thread of its own: a node answering requests started
 * thousands in a benchmark of a minute. {@link #onTheSpot} gives a plain stage completed on the spot instead.
 * Stateless.
 */
public final class Stages {
  /** Runs a task at once on the calling thread: for quick, non-blocking callbacks only. */
  public static final Executor ON_THE_SPOT = Runnable::run;

  private Stages() {}

  /**
   * A plain CompletableFuture completed with {@code stage}'s outcome on the thread that completes
   * {@code stage}; what is chained on it without an executor runs there too.
   */
  public static <T> CompletableFuture<T> onTheSpot(CompletionStage<T> stage) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure != null) plain.completeExceptionally(failure);
      else plain.complete(value);
    }, ON_THE_SPOT);
    return plain;
  }
}
