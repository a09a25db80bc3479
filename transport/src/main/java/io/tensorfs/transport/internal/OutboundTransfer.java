package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.apache.pekko.stream.stage.AsyncCallback;

/**
 * A transfer whose data flows from this side: a fetch a peer asked for, or a push this node sends. The
 * {@link OutboundStage} cuts the stream into checksummed frames and puts them in the bounded
 * {@link #outbox}; the engine thread sends them as the receiver's credit allows.
 */
final class OutboundTransfer extends Transfer {
  /** One DATA frame's payload, {@code length} bytes of {@code array} at {@code offset}, and its CRC32C. */
  record Frame(byte[] array, int offset, int length, int crc) {}

  final long baseOffset;
  final long lengthBytes;
  final int maxPayloadBytes;
  final OneToOneConcurrentArrayQueue<Frame> outbox;
  final AtomicBoolean stageWaiting = new AtomicBoolean();
  volatile AsyncCallback<Object> wake;
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

  OutboundTransfer(
      long id, String peerEndpoint, boolean requester, ChunkId chunk, long baseOffset, long lengthBytes, int maxPayloadBytes, int outboxFrames,
      CompletableFuture<PushAck> ack, PushRequest request, long nowNs) {
    super(id, peerEndpoint, requester, chunk, nowNs);
    this.baseOffset = baseOffset;
    this.lengthBytes = lengthBytes;
    this.maxPayloadBytes = maxPayloadBytes;
    this.outbox = new OneToOneConcurrentArrayQueue<>(outboxFrames);
    this.ack = ack;
    this.request = request;
  }

  /** Engine thread: tells a waiting stage that the outbox has room, or that it must stop. */
  void signal() {
    AsyncCallback<Object> w = wake;
    if (w != null && stageWaiting.compareAndSet(true, false)) w.invoke(Boolean.TRUE);
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
