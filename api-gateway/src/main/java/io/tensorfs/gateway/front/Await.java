package io.tensorfs.gateway.front;

import io.tensorfs.core.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Waits for a stage on a connection thread. Blocking is intended here: each connection has a dedicated
 * platform thread that does nothing else while it waits (it is not a dispatcher or pool thread), and a
 * straight-line loop is what lets it keep one piece read ahead of the socket without a callback chain.
 */
final class Await {
  /** The stage failed, or did not complete in time. */
  static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;

    Failed(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  private Await() {}

  /**
   * The stage's value within {@code timeoutNanos}. When the wait ends early (timeout, interrupt), a value
   * that arrives later goes to {@code late}, so whatever it holds is released.
   */
  static <T> T value(CompletionStage<T> stage, long timeoutNanos, Consumer<T> late) throws Failed {
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenComplete((value, error) -> {
      if (error != null) result.completeExceptionally(error);
      else result.complete(value);
    });
    try {
      return result.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new Failed("stage failed", Failures.unwrap(e));
    } catch (TimeoutException e) {
      result.thenAccept(late);
      throw new Failed("no answer within " + timeoutNanos / 1_000_000 + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.thenAccept(late);
      throw new Failed("interrupted", e);
    }
  }
}
