package io.tensorfs.gpu.internal;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A copy queued on the streams, waiting for its events. Handed from the owner thread to the watcher, then
 * touched by the watcher alone. Holds the host buffers so that they stay reachable while DMA uses them.
 */
final class PendingCopy {
  final CompletableFuture<Long> done;
  final int[] events;
  final long bytes;
  /** Set when queueing failed part way: the copy fails once the pieces already queued are done. */
  final RuntimeException failure;
  final Runnable afterDone;
  final List<ByteBuffer> keepAlive;
  int eventsDone;

  PendingCopy(CompletableFuture<Long> done, int[] events, long bytes, RuntimeException failure, Runnable afterDone,
      List<ByteBuffer> keepAlive) {
    this.done = done;
    this.events = events;
    this.bytes = bytes;
    this.failure = failure;
    this.afterDone = afterDone;
    this.keepAlive = keepAlive;
  }
}
