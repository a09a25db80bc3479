package io.tensorfs.transport.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.stream.stage.AsyncCallback;

/**
 * A transfer whose data flows to this side: a fetch this node asked for, or a push a peer sends. For a
 * stream the engine thread adds received frames to {@link #inbox} and the {@link InboundStage} takes
 * them on its own thread; the inbox needs no size limit of its own: the engine drops a peer that sends
 * past the credit granted, so it never holds more than the window. A fetch into a buffer has a
 * {@link #target} instead, which the engine writes each frame into; it has no stage and no inbox.
 */
final class InboundTransfer extends Transfer {
  /** One received DATA frame; {@code position} counts from the start of the transfer. */
  record Data(long position, int crc, byte[] payload) {}

  /** The sender's END: it sent {@code totalBytes} in all. */
  record End(long totalBytes) {}

  final long baseOffset;
  /** Most bytes a fetch may return, or the exact length of a push. */
  final long lengthBytes;
  final boolean exactLength;
  /** Where a fetch into a buffer writes; null for a stream. */
  final FetchTarget target;
  final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
  final AtomicBoolean stageWaiting = new AtomicBoolean();
  volatile AsyncCallback<Object> wake;
  /** Set by the stage once it stopped; frames after that are dropped. */
  volatile boolean stageStopped;

  long receivedBytes;
  long grantedLimit;
  long endTotal = -1;

  InboundTransfer(long id, String peerEndpoint, boolean requester, ChunkId chunk, long baseOffset, long lengthBytes, boolean exactLength, long nowNs) {
    this(id, peerEndpoint, requester, chunk, baseOffset, lengthBytes, exactLength, null, nowNs);
  }

  /** A fetch this node asks for, written into {@code target}: as many bytes as it has room for. */
  InboundTransfer(long id, String peerEndpoint, ChunkId chunk, long baseOffset, FetchTarget target, long nowNs) {
    this(id, peerEndpoint, true, chunk, baseOffset, target.capacity(), false, target, nowNs);
  }

  private InboundTransfer(
      long id, String peerEndpoint, boolean requester, ChunkId chunk, long baseOffset, long lengthBytes, boolean exactLength, FetchTarget target,
      long nowNs) {
    super(id, peerEndpoint, requester, chunk, nowNs);
    this.baseOffset = baseOffset;
    this.lengthBytes = lengthBytes;
    this.exactLength = exactLength;
    this.target = target;
  }

  /** Engine thread: hands an event to the stage and wakes it if it waits. */
  void deliver(Object event) {
    inbox.add(event);
    AsyncCallback<Object> w = wake;
    if (w != null && stageWaiting.compareAndSet(true, false)) w.invoke(Boolean.TRUE);
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
