package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.stream.stage.AsyncCallback;

/**
 * A transfer whose data flows to this side: a fetch this node asked for, or a push a peer sends. A fetch
 * into a buffer has a {@link #target}, which the engine writes each frame into; it has no stage. A stream
 * (a push served here, a {@code fetch} stream) has a {@link #ring}: the engine writes each frame into it
 * and the {@link InboundStage} reads the verified bytes out on its own thread; the ring holds a credit
 * window, and the engine drops a peer that sends past the credit granted, so no frame lands on bytes not
 * yet read. The sender's END and failures go through {@link #inbox} (a few per transfer).
 */
final class InboundTransfer extends Transfer {
  /** The sender's END: it sent {@code totalBytes} in all. */
  record End(long totalBytes) {}

  final long baseOffset;
  /** Most bytes a fetch may return, or the exact length of a push. */
  final long lengthBytes;
  final boolean exactLength;
  /** Where a fetch into a buffer writes; null for a stream. */
  final FetchTarget target;
  /** Where a stream's frames land; null for a fetch into a buffer. */
  final LandingRing ring;
  private final LandingPages pages;
  /** END and failures for the stage; never data. */
  final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
  final AtomicBoolean stageWaiting = new AtomicBoolean();
  volatile AsyncCallback<Object> wake;
  /** Wakes the stage; made once so that the engine hands it to the {@link StageWaker} without allocating. */
  final Runnable wakeStage = this::wakeStage;
  /** Set by the stage once it stopped; frames after that are dropped. */
  volatile boolean stageStopped;
  /** Who still uses {@link #ring}: the engine until the transfer closed, the stage until it stopped. */
  private boolean engineHoldsRing;
  private boolean stageHoldsRing;

  long receivedBytes;
  long grantedLimit;
  long endTotal = -1;

  /** A stream: its frames land in a ring taken from {@code pages}, given back once engine and stage let go. */
  InboundTransfer(long id, String peerEndpoint, boolean requester, ChunkId chunk, long baseOffset, long lengthBytes,
      boolean exactLength, LandingPages pages, long nowNs) {
    super(id, peerEndpoint, requester, chunk, nowNs);
    this.baseOffset = baseOffset;
    this.lengthBytes = lengthBytes;
    this.exactLength = exactLength;
    this.target = null;
    this.pages = pages;
    this.ring = pages.take();
    this.engineHoldsRing = true;
    this.stageHoldsRing = true;
  }

  /** A fetch this node asks for, written into {@code target}: as many bytes as it has room for. */
  InboundTransfer(long id, String peerEndpoint, ChunkId chunk, long baseOffset, FetchTarget target, long nowNs) {
    super(id, peerEndpoint, true, chunk, nowNs);
    this.baseOffset = baseOffset;
    this.lengthBytes = target.capacity();
    this.exactLength = false;
    this.target = target;
    this.pages = null;
    this.ring = null;
  }

  /** Engine thread: hands an END or a failure to the stage and wakes it if it waits. */
  void deliver(Object event) {
    inbox.add(event);
    AsyncCallback<Object> w = wake;
    if (w != null && stageWaiting.compareAndSet(true, false)) w.invoke(Boolean.TRUE);
  }

  /** Engine thread: whether the stage waits for bytes and should be woken (it is then no longer counted as waiting). */
  boolean stageShouldWake() {
    return stageWaiting.get() && stageWaiting.compareAndSet(true, false);
  }

  private void wakeStage() {
    AsyncCallback<Object> w = wake;
    if (w != null) w.invoke(Boolean.TRUE);
  }

  /**
   * The engine (true) or the stage (false) no longer touches the ring; the last to let go gives it back.
   * A second call for the same side does nothing.
   */
  void letGoOfRing(boolean engine) {
    if (ring == null) return;
    synchronized (this) {
      if (engine ? !engineHoldsRing : !stageHoldsRing) return;
      if (engine) engineHoldsRing = false;
      else stageHoldsRing = false;
      if (engineHoldsRing || stageHoldsRing) return;
    }
    pages.release(ring);
  }

  @Override
  boolean expectsPeer() {
    return endTotal < 0 || receivedBytes < endTotal;
  }

  @Override
  void fail(TfsException cause) {
    closed = true;
    if (target != null) target.finish(cause);
    else deliver(cause);
  }
}
