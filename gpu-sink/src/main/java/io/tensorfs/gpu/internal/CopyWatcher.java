package io.tensorfs.gpu.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that watches one GPU's copies finish: it polls their events (cudaEventQuery never blocks),
 * completes each copy's future on {@code completions} and gives its events back. Spins briefly after
 * progress, then backs off to short parks, and sleeps while nothing is pending. It is a plain thread, not
 * an actor or a dispatcher thread, so no actor ever waits for the device.
 */
final class CopyWatcher implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(CopyWatcher.class);
  private static final int SPINS = 200;
  private static final int YIELDS = 20;
  private static final long MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);
  private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);

  private final DeviceApi device;
  private final IntFunction<String> errorNames;
  private final Executor completions;
  private final Queue<Integer> freeEvents;
  private final Queue<PendingCopy> submitted = new ConcurrentLinkedQueue<>();
  private final List<PendingCopy> pending = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  private int idleRounds;

  CopyWatcher(DeviceApi device, IntFunction<String> errorNames, Executor completions, Queue<Integer> freeEvents,
      String threadName) {
    this.device = device;
    this.errorNames = errorNames;
    this.completions = completions;
    this.freeEvents = freeEvents;
    this.thread = new Thread(this, threadName);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void submit(PendingCopy copy) {
    submitted.add(copy);
    LockSupport.unpark(thread);
  }

  /** Stops once the copies already submitted are done; waits for that at most {@code timeoutMs}. */
  void stop(long timeoutMs) {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    int rc = device.bindThread();
    if (rc != CudaRuntime.SUCCESS) {
      log.error("gpu{}: the copy watcher cannot bind to the device: {}", device.ordinal(), errorNames.apply(rc));
    }
    while (running || !pending.isEmpty() || !submitted.isEmpty()) {
      int work = doWork();
      idle(work);
    }
  }

  /** One pass over the copies in flight; returns how many finished. */
  int doWork() {
    PendingCopy c;
    while ((c = submitted.poll()) != null) pending.add(c);
    int finished = 0;
    for (int i = pending.size() - 1; i >= 0; i--) {
      PendingCopy copy = pending.get(i);
      int rc = advance(copy);
      if (rc == CudaRuntime.NOT_READY) continue;
      pending.remove(i);
      finish(copy, rc);
      finished++;
    }
    return finished;
  }

  /** Checks the events of {@code copy} in order: NOT_READY, 0 when all are done, or the first error. */
  private int advance(PendingCopy copy) {
    while (copy.eventsDone < copy.events.length) {
      int rc = device.queryEvent(copy.events[copy.eventsDone]);
      if (rc != CudaRuntime.SUCCESS) return rc;
      copy.eventsDone++;
    }
    return CudaRuntime.SUCCESS;
  }

  private void finish(PendingCopy copy, int rc) {
    for (int e : copy.events) freeEvents.add(e);
    RuntimeException failure = copy.failure;
    if (failure == null && rc != CudaRuntime.SUCCESS) {
      failure = new TfsException(ErrorCode.IO_ERROR, "gpu" + device.ordinal() + ": copy failed on the device: " + errorNames.apply(rc));
    }
    RuntimeException outcome = failure;
    completions.execute(() -> {
      if (outcome == null) copy.done.complete(copy.bytes);
      else copy.done.completeExceptionally(outcome);
    });
    try {
      copy.afterDone.run();
    } catch (RuntimeException e) {
      log.error("gpu{}: a copy's completion hook failed", device.ordinal(), e);
    }
  }

  private void idle(int work) {
    if (work > 0) {
      idleRounds = 0;
    } else if (pending.isEmpty() && submitted.isEmpty()) {
      if (running) LockSupport.parkNanos(this, IDLE_PARK_NS);
    } else if (idleRounds < SPINS) {
      idleRounds++;
      Thread.onSpinWait();
    } else if (idleRounds < SPINS + YIELDS) {
      idleRounds++;
      Thread.yield();
    } else {
      long park = Math.min(MAX_PARK_NS, 1000L << Math.min(10, idleRounds - SPINS - YIELDS));
      idleRounds++;
      LockSupport.parkNanos(this, park);
    }
  }
}
