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
  private final StoreMetrics metrics;

  /** Blocking file work. */
  @FunctionalInterface
  public interface IoTask<T> {
    T call() throws Exception;
  }

  public IoRunner(Executor executor, StoreMetrics metrics) {
    this.executor = executor;
    this.metrics = metrics;
  }

  public StoreMetrics metrics() {
    return metrics;
  }

  /** {@code what} names the work in failures, e.g. "reading chunk f-0 on store d0". */
  public <T> CompletionStage<T> run(String what, IoTask<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        long start = System.nanoTime();
        try {
          T value = task.call();
          metrics.ioDone(start, null);
          result.complete(value);
        } catch (Throwable t) {
          TfsException failure = IoFailures.translate(t, what);
          metrics.ioDone(start, failure.code());
          result.completeExceptionally(failure);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new TfsException(ErrorCode.UNAVAILABLE, what + ": the store is shutting down", e));
    }
    return result;
  }
}
