package io.tensorfs.gateway.grpc.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The staging buffer of one submission's GPU copies, taken from the pool on first use. It goes back
 * to the pool only once the last copy that used it has finished, even when the submission failed
 * while a copy was in flight, so no DMA ever touches a buffer another submission holds. Used by one
 * submission's stream at a time.
 */
final class Staging {
  private final StagingBuffers pool;
  private StagingBuffers.Loan loan;
  private CompletionStage<?> lastCopy = CompletableFuture.completedFuture(null);

  Staging(StagingBuffers pool) {
    this.pool = pool;
  }

  ByteBuffer buffer() {
    if (loan == null) loan = pool.acquire();
    return loan.buffer();
  }

  int capacity() {
    return pool.bufferBytes();
  }

  /** Records a copy that reads or writes the buffer; returns it. */
  <T> CompletionStage<T> track(CompletionStage<T> copy) {
    lastCopy = copy;
    return copy;
  }

  void release() {
    StagingBuffers.Loan l = loan;
    if (l == null) return;
    loan = null;
    lastCopy.whenComplete((x, e) -> l.release());
  }
}
