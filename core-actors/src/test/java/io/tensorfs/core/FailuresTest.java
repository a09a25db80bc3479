package io.tensorfs.core;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class FailuresTest {
  private final TfsException cause = new TfsException(ErrorCode.NOT_FOUND, "no such file");

  @Test
  void shouldReturnTheFailureItselfWhenNotWrapped() {
    assertSame(cause, Failures.unwrap(cause));
    IOException io = new IOException("disk", new CompletionException(cause));
    assertSame(io, Failures.unwrap(io), "a cause under another exception is that exception's business");
  }

  @Test
  void shouldStripEveryWrapperWhenNested() {
    assertSame(cause, Failures.unwrap(new CompletionException(cause)));
    assertSame(cause, Failures.unwrap(new ExecutionException(cause)));
    assertSame(cause, Failures.unwrap(new ExecutionException(new CompletionException(new CompletionException(cause)))));
  }

  @Test
  void shouldReachTheCauseWhenAFutureFailedThroughDependentStages() throws Exception {
    CompletableFuture<Integer> failed = CompletableFuture.<Integer>failedFuture(cause).thenApply(x -> x + 1);
    Throwable seen = failed.handle((v, e) -> e).get();
    assertSame(cause, Failures.unwrap(seen));
    try {
      failed.thenCompose(x -> CompletableFuture.completedFuture(x)).get();
    } catch (ExecutionException e) {
      assertSame(cause, Failures.unwrap(e));
    }
  }

  @Test
  void shouldKeepAWrapperWhenItHasNoCause() {
    CompletionException bare = new CompletionException("no cause", null);
    assertSame(bare, Failures.unwrap(bare));
    assertSame(bare, Failures.unwrap(new ExecutionException(bare)));
    assertNull(Failures.unwrap(null));
  }
}
