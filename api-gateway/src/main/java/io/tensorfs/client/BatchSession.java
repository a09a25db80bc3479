package io.tensorfs.client;

import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Submission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * One Batch stream: submit preadv/pwritev requests, then collect their completions, one per
 * submission, in the order they finish. Submissions are queued here without limit and sent as fast
 * as the node takes them (the node runs a bounded number at once). Thread-safe.
 */
public final class BatchSession {
  private static final int SEND_BUFFER = 64;

  private final SourceQueueWithComplete<Submission> outbox;
  private final ArrayDeque<Submission> unsent = new ArrayDeque<>();
  private final ArrayDeque<Completion> ready = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final CompletionStage<Done> finished;
  private boolean offering;
  private boolean closing;
  private Throwable failure;
  private long submitted;
  private long completed;

  private record Waiter(int max, CompletableFuture<List<Completion>> result) {}

  BatchSession(io.tensorfs.gateway.grpc.v1.TensorfsClient grpc, Materializer materializer) {
    Pair<SourceQueueWithComplete<Submission>, Source<Submission, org.apache.pekko.NotUsed>> queue =
        Source.<Submission>queue(SEND_BUFFER, OverflowStrategy.backpressure(), 1).preMaterialize(materializer);
    this.outbox = queue.first();
    this.finished = grpc.batch(queue.second())
        .toMat(Sink.foreach(this::deliver), Keep.right())
        .run(materializer);
    finished.whenComplete((d, e) -> ended(e));
  }

  /** Reads {@code path} from {@code offset} into {@code sges}, in order. */
  public void preadv(long id, String path, long offset, List<Sge> sges, int flags) {
    submit(Submission.newBuilder().setId(id).setOp(Op.PREADV).setPath(path).setOffset(offset)
        .addAllSges(sges).setFlags(flags).build());
  }

  /** Writes the bytes of {@code sges}, in order, as the whole new version of {@code path} (offset 0). */
  public void pwritev(long id, String path, long offset, List<Sge> sges, int flags) {
    submit(Submission.newBuilder().setId(id).setOp(Op.PWRITEV).setPath(path).setOffset(offset)
        .addAllSges(sges).setFlags(flags).build());
  }

  /** Submits a request built by hand (to name a write's policy, say). */
  public synchronized void submit(Submission s) {
    if (closing) throw new IllegalStateException("the batch session is closed");
    submitted++;
    unsent.add(s);
    offerNext();
  }

  /**
   * Up to {@code max} completions: those already here, else the next ones to arrive. Completes with
   * an empty list when {@code timeout} passes first; fails when the stream failed.
   */
  public synchronized CompletionStage<List<Completion>> await(int max, Duration timeout) {
    if (max < 1) throw new IllegalArgumentException("max must be >= 1");
    if (!ready.isEmpty()) return CompletableFuture.completedFuture(take(max));
    if (failure != null) return CompletableFuture.failedFuture(failure);
    Waiter w = new Waiter(max, new CompletableFuture<>());
    waiters.add(w);
    w.result().completeOnTimeout(List.of(), timeout.toNanos(), TimeUnit.NANOSECONDS);
    return w.result();
  }

  /** Exactly {@code count} completions, gathered within {@code timeout}; fails when they do not come in time. */
  public CompletionStage<List<Completion>> collect(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    return collect(new ArrayList<>(count), count, deadline);
  }

  private CompletionStage<List<Completion>> collect(List<Completion> got, int count, long deadlineNs) {
    if (got.size() >= count) return CompletableFuture.completedFuture(got);
    long left = deadlineNs - System.nanoTime();
    if (left <= 0) {
      return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException(
          "got " + got.size() + " of " + count + " completions in time"));
    }
    return await(count - got.size(), Duration.ofNanos(left)).thenCompose(more -> {
      got.addAll(more);
      return collect(got, count, deadlineNs);
    });
  }

  /** Submissions not yet completed. */
  public synchronized long outstanding() {
    return submitted - completed;
  }

  /** Ends the submissions; the stream ends once the node has completed every one already sent. */
  public synchronized CompletionStage<Done> close() {
    closing = true;
    if (!offering && unsent.isEmpty()) outbox.complete();
    return finished;
  }

  private synchronized void offerNext() {
    if (offering) return;
    Submission next = unsent.poll();
    if (next == null) {
      if (closing) outbox.complete();
      return;
    }
    offering = true;
    outbox.offer(next).whenComplete((result, error) -> offered(error));
  }

  private synchronized void offered(Throwable error) {
    offering = false;
    if (error != null) {
      ended(error);
      return;
    }
    offerNext();
  }

  private synchronized void deliver(Completion c) {
    completed++;
    ready.add(c);
    Iterator<Waiter> it = waiters.iterator();
    while (it.hasNext() && !ready.isEmpty()) {
      Waiter w = it.next();
      it.remove();
      if (!w.result().isDone()) w.result().complete(take(w.max()));
    }
  }

  private synchronized void ended(Throwable error) {
    if (error == null) error = new IllegalStateException("the batch stream ended");
    if (failure == null) failure = ClientErrors.translate(error);
    for (Waiter w : waiters) w.result().completeExceptionally(failure);
    waiters.clear();
  }

  private List<Completion> take(int max) {
    List<Completion> out = new ArrayList<>(Math.min(max, ready.size()));
    while (out.size() < max && !ready.isEmpty()) out.add(ready.poll());
    return out;
  }
}
