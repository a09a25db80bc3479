package io.tensorfs.transport.internal;

import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the stages of transfers for the engine, on a thread of its own: waking a Pekko stage from
 * outside allocates (its async callback posts a message), and the engine's agent thread allocates
 * nothing per frame. The agent hands over a task made once per transfer through a preallocated
 * queue and unparks this thread when it sleeps. Tasks must be short and must not block.
 *
 * <p>{@link #wake} is called from the agent thread only (one producer); the rest is this class's thread.
 */
final class StageWaker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StageWaker.class);
  private static final int CAPACITY = 4096;

  private final OneToOneConcurrentArrayQueue<Runnable> tasks = new OneToOneConcurrentArrayQueue<>(CAPACITY);
  private final Thread thread;
  private volatile boolean sleeping;
  private volatile boolean closed;

  StageWaker(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Agent thread: runs {@code task} soon on this waker's thread (at once, here, if the queue is full). */
  void wake(Runnable task) {
    if (!tasks.offer(task)) {
      task.run(); // thousands of stages waiting at once: rare, and then an allocation does not matter
      return;
    }
    // The queue's offer is an ordered store, which a CPU may make visible after the read of sleeping that
    // follows (store-load reordering): without the fence this thread could read "awake" while the waker,
    // having just set sleeping, still reads an empty queue, and both would wait (a stage never woken).
    VarHandle.fullFence();
    if (sleeping) LockSupport.unpark(thread);
  }

  private void run() {
    while (!closed) {
      Runnable task = tasks.poll();
      if (task != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("waking a transfer's stage failed", e);
        }
        continue;
      }
      sleeping = true;
      // The agent queues, fences, then reads sleeping; this writes sleeping (a volatile store) before it reads the
      // queue: one of the two sees the other.
      if (tasks.isEmpty() && !closed) LockSupport.park(this);
      sleeping = false;
    }
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
  }
}
