package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transfer whose data flows from this side: a fetch a peer asked for, or a push a peer receives from
 * this node. The {@link OutboundStage} cuts the {@link PageRun}s it is given into checksummed frames
 * and puts them in the bounded {@link #outbox}; the engine thread offers each frame from the run to the
 * wire as the receiver's credit allows, gives the frame back through {@link #spare} for reuse, and hands
 * a run to the link with its last frame (the link releases it once it no longer reads the pages). Neither side allocates a frame in the steady state.
 */
final class OutboundTransfer extends Transfer {
  private static final Logger log = LoggerFactory.getLogger(OutboundTransfer.class);

  /**
   * One DATA frame: {@code length} bytes of {@code bytes} from the absolute index {@code offset}, and
   * their CRC32C. Written by the stage before it offers the frame, read by the engine after it polls it.
   */
  static final class Frame {
    ByteBuffer bytes;
    int offset;
    int length;
    int crc;
    /** The run this frame ends: handed to the link with the frame, which releases it once it reads the pages no more. Null for a frame inside a run. */
    PageRun endsRun;
  }

  final long baseOffset;
  final long lengthBytes;
  final int maxPayloadBytes;
  final OneToOneConcurrentArrayQueue<Frame> outbox;
  /** Frames the engine sent, back to the stage for reuse. */
  final OneToOneConcurrentArrayQueue<Frame> spare;
  final AtomicBoolean stageWaiting = new AtomicBoolean();
  volatile AsyncCallback<Object> wake;
  /** Wakes the stage; made once so that the engine hands it to the {@link StageWaker} without allocating. */
  final Runnable wakeStage = this::wakeStage;
  /** Set by the stage after its last frame is in the outbox. */
  volatile boolean finished;
  /** Set by the stage when its upstream failed; the engine reports it to the peer. */
  volatile TfsException upstreamFailure;
  /** Set by the engine when the transfer ends abnormally here; the stage cancels its upstream. */
  volatile TfsException abort;
  /** A push's acknowledgement; completed by the engine. Null for a fetch served here. */
  final CompletableFuture<PushAck> ack;
  /** The push this side sends; null for a fetch served here. */
  final PushRequest request;

  long creditLimit;
  long sentBytes;
  int frameSeq;
  Frame current;
  boolean endSent;

  /** Guarded by this: who stopped using the outbox, and the run the stage held when it stopped. */
  private boolean engineStopped;
  private boolean stageStopped;
  private PageRun stageRun;

  OutboundTransfer(
      long id, String peerEndpoint, boolean requester, ChunkId chunk, long baseOffset, long lengthBytes, int maxPayloadBytes, int outboxFrames,
      CompletableFuture<PushAck> ack, PushRequest request, long nowNs) {
    super(id, peerEndpoint, requester, chunk, nowNs);
    this.baseOffset = baseOffset;
    this.lengthBytes = lengthBytes;
    this.maxPayloadBytes = maxPayloadBytes;
    this.outbox = new OneToOneConcurrentArrayQueue<>(outboxFrames);
    this.spare = new OneToOneConcurrentArrayQueue<>(outbox.capacity() + 2);
    this.ack = ack;
    this.request = request;
  }

  /** Engine thread: whether a waiting stage should be woken now that it took a frame (once the outbox is half empty). */
  boolean stageShouldWake() {
    // The outbox's poll is an ordered store: fenced, so that it is visible before stageWaiting is read, as the
    // stage's second offer after setting stageWaiting relies on (else the last frame's wake-up could be lost).
    VarHandle.fullFence();
    return stageWaiting.get() && outbox.size() <= outbox.capacity() / 2 && stageWaiting.compareAndSet(true, false);
  }

  private void wakeStage() {
    AsyncCallback<Object> w = wake;
    if (w != null) w.invoke(Boolean.TRUE);
  }

  /** Engine thread: the link took a frame, and with it the run the frame ended (if any); the frame goes back to the stage. */
  void sent(Frame f) {
    f.endsRun = null;
    f.bytes = null;
    spare.offer(f);
  }

  /** {@link #engineStopped}, made once so that the engine hands it to a link without allocating. */
  final Runnable engineStoppedAction = this::engineStopped;

  /** Engine thread: the engine takes no more frames from this transfer, and the link reads none of its pages any more. */
  void engineStopped() {
    boolean last;
    synchronized (this) {
      engineStopped = true;
      last = stageStopped;
    }
    if (last) releaseUnsent();
  }

  /** Stage thread: the stage offers no more frames; {@code held} is the run it had not handed over whole, or null. */
  void stageStopped(PageRun held) {
    boolean last;
    synchronized (this) {
      stageStopped = true;
      stageRun = held;
      last = engineStopped;
    }
    if (last) releaseUnsent();
  }

  /** Once both sides stopped (so nobody reads the pages any more): every run still lent goes back. */
  private void releaseUnsent() {
    if (current != null && current.endsRun != null) release(current.endsRun);
    current = null;
    for (Frame f; (f = outbox.poll()) != null; ) {
      if (f.endsRun != null) release(f.endsRun);
    }
    if (stageRun != null) release(stageRun);
    stageRun = null;
  }

  private void release(PageRun run) {
    try {
      run.release();
    } catch (RuntimeException e) {
      log.error("releasing the pages of a transfer of {} failed", chunk, e);
    }
  }

  @Override
  boolean expectsPeer() {
    return true;
  }

  @Override
  void fail(TfsException cause) {
    closed = true;
    abort = cause;
    AsyncCallback<Object> w = wake;
    if (w != null) w.invoke(Boolean.TRUE);
    if (ack != null) ack.completeExceptionally(cause);
  }
}
