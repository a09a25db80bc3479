package io.tensorfs.store.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs blocking file work on the store's bounded executor and completes a stage with its result, or
 * with the {@link io.tensorfs.core.TfsException} that {@link IoFailures} makes of what it threw.
 * Thread-safe.
 */
public final class IoRunner {
  private final Executor executor;

  /** Blocking file work. */
  @FunctionalInterface
  public interface IoTask<T> {
    T call() throws Exception;
  }

  public IoRunner(Executor executor) {
    this.executor = executor;
  }

  /** {@code what} names the work in failures, e.g. "reading chunk f-0 on store d0". */
  public <T> CompletionStage<T> run(String what, IoTask<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          result.complete(task.call());
        } catch (Throwable t) {
          result.completeExceptionally(IoFailures.translate(t, what));
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new TfsException(ErrorCode.UNAVAILABLE, what + ": the store is shutting down", e));
    }
    return result;
  }
}
