package io.tensorfs.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Batch stream: submit preadv/pwritev requests, then collect their completions, one per
 * submission, in the order they finish. Submissions are queued here without limit and sent as fast
 * as the connection takes them (grpc-java's outbound flow control; the node runs a bounded number at
 * once). Thread-safe: callers' threads and grpc-java's share one lock.
 */
public final class BatchSession {
  private final ArrayDeque<Submission> unsent = new ArrayDeque<>();
  private final ArrayDeque<Completion> ready = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private ClientCallStreamObserver<Submission> requests;
  private boolean closing;
  private boolean requestsClosed;
  private Throwable failure;
  private long submitted;
  private long completed;
  private final io.tensorfs.client.local.LocalChannel local;

  private record Waiter(int max, CompletableFuture<List<Completion>> result) {}

  BatchSession(TensorfsGrpc.TensorfsStub grpc) {
    this.local = null;
    grpc.batch(new Responses());
  }

  /** A session over the node's local channel: each submission is one request on it, completed as it finishes. */
  BatchSession(io.tensorfs.client.local.LocalChannel local) {
    this.local = local;
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
    if (local != null) {
      local.batch(s).thenAccept(this::deliver);
      return;
    }
    unsent.add(s);
    sendWhileReady();
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
      return CompletableFuture.failedFuture(new TimeoutException(
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
  public synchronized CompletionStage<Void> close() {
    closing = true;
    if (local != null) {
      if (completed == submitted) finished.complete(null);
      return finished;
    }
    sendWhileReady();
    return finished;
  }

  /** Sends queued submissions while the connection takes more; half-closes once closing and all are sent. */
  private synchronized void sendWhileReady() {
    if (requests == null || failure != null || requestsClosed) return;
    while (!unsent.isEmpty() && requests.isReady()) requests.onNext(unsent.poll());
    if (closing && unsent.isEmpty()) {
      requestsClosed = true;
      requests.onCompleted();
    }
  }

  private synchronized void deliver(Completion c) {
    completed++;
    if (local != null && closing && completed == submitted) finished.complete(null);
    ready.add(c);
    Iterator<Waiter> it = waiters.iterator();
    while (it.hasNext() && !ready.isEmpty()) {
      Waiter w = it.next();
      it.remove();
      if (!w.result().isDone()) w.result().complete(take(w.max()));
    }
  }

  private synchronized void ended(Throwable error) {
    if (failure == null) failure = error == null ? new IllegalStateException("the batch stream ended") : ClientErrors.translate(error);
    for (Waiter w : waiters) w.result().completeExceptionally(failure);
    waiters.clear();
  }

  private List<Completion> take(int max) {
    List<Completion> out = new ArrayList<>(Math.min(max, ready.size()));
    while (out.size() < max && !ready.isEmpty()) out.add(ready.poll());
    return out;
  }

  /** The node's side of the stream, on grpc-java's thread for this call. */
  private final class Responses implements ClientResponseObserver<Submission, Completion> {
    @Override
    public void beforeStart(ClientCallStreamObserver<Submission> stream) {
      synchronized (BatchSession.this) {
        requests = stream;
      }
      stream.setOnReadyHandler(BatchSession.this::sendWhileReady);
    }

    @Override
    public void onNext(Completion c) {
      deliver(c);
    }

    @Override
    public void onError(Throwable error) {
      ended(error);
      finished.completeExceptionally(ClientErrors.translate(error));
    }

    @Override
    public void onCompleted() {
      ended(null);
      finished.complete(null);
    }
  }
}
