package io.tensorfs.core;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure a future's code meant, out of the wrappers that futures put around it: a dependent stage
 * wraps its source's failure in a {@link CompletionException}, {@code get()} in an
 * {@link ExecutionException}, and either may wrap the other. Stateless; any thread.
 */
public final class Failures {
  private Failures() {}

  /**
   * {@code t} without every {@link CompletionException} and {@link ExecutionException} around it that has a
   * cause; a wrapper without a cause is returned as it is, and {@code null} as {@code null}.
   */
  public static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
