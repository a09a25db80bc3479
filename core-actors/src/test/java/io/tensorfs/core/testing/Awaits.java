package io.tensorfs.core.testing;

import io.tensorfs.core.Failures;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits in a test for a stage to complete, within a deadline, and fails the test with an
 * {@link AssertionError} when it fails or does not complete. Shared with every module's tests through
 * core-actors' test-jar. Stateless; any thread.
 */
public final class Awaits {
  /** How long {@link #await(CompletionStage)} and {@link #failure(CompletionStage)} wait. */
  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private Awaits() {}

  /** The value {@code stage} completes with, within {@link #TIMEOUT}. */
  public static <T> T await(CompletionStage<T> stage) {
    return await(stage, TIMEOUT);
  }

  /**
   * The value {@code stage} completes with, within {@code timeout}; when it fails, an AssertionError whose
   * cause is the failure, unwrapped by {@link Failures#unwrap}.
   */
  public static <T> T await(CompletionStage<T> stage, Duration timeout) {
    try {
      return stage.toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = Failures.unwrap(e);
      throw new AssertionError("the stage failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new AssertionError("the stage did not complete within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the stage", e);
    }
  }

  /** The failure {@code stage} completes with, unwrapped, within {@link #TIMEOUT}. */
  public static Throwable failure(CompletionStage<?> stage) {
    return failure(stage, TIMEOUT);
  }

  /** The failure {@code stage} completes with, unwrapped, within {@code timeout}; an AssertionError if it succeeds. */
  public static Throwable failure(CompletionStage<?> stage, Duration timeout) {
    Object value;
    try {
      value = stage.toCompletableFuture().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      return Failures.unwrap(e);
    } catch (TimeoutException e) {
      throw new AssertionError("the stage did not complete within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the stage", e);
    }
    throw new AssertionError("the stage succeeded with " + value + "; a failure was expected");
  }

  /** Polls {@code condition} until it holds; an AssertionError naming {@code what} when it does not within {@code timeout}. */
  public static void until(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) throw new AssertionError("not within " + timeout + ": " + what);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what, e);
      }
    }
  }
}
