package io.tensorfs.transport.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.agrona.BufferUtil;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.GraphStageWithMaterializedValue;
import scala.Tuple2;

/**
 * The sending end of one transfer as a Sink of {@link PageRun}s: cuts each run into frames no larger
 * than the link carries, computes each frame's CRC32C on the stream's thread (reading the run's pages,
 * copying nothing), and puts them in the transfer's bounded outbox. It pulls only while the outbox has
 * room, and the engine drains the outbox only as the receiver grants credit: that is the backpressure.
 * Every run it takes is released exactly once, by the engine once the run's last frame is out, or when
 * the transfer ended. Materializes the push's acknowledgement (a fetch served here never completes it).
 * Materialize once.
 */
final class OutboundStage extends GraphStageWithMaterializedValue<SinkShape<PageRun>, CompletionStage<PushAck>> {
  private final Inlet<PageRun> in = Inlet.create("OutboundStage.in");
  private final SinkShape<PageRun> shape = SinkShape.of(in);
  private final TransferEngine engine;
  private final Supplier<OutboundTransfer> transfers;

  /** {@code transfers} makes the transfer each materialization runs. */
  OutboundStage(TransferEngine engine, Supplier<OutboundTransfer> transfers) {
    this.engine = engine;
    this.transfers = transfers;
  }

  @Override
  public SinkShape<PageRun> shape() {
    return shape;
  }

  @Override
  public Tuple2<GraphStageLogic, CompletionStage<PushAck>> createLogicAndMaterializedValue(Attributes inheritedAttributes) {
    OutboundTransfer transfer = transfers.get();
    CompletionStage<PushAck> ack = transfer.ack != null ? transfer.ack : new CompletableFuture<>();
    return new Tuple2<>(new Logic(transfer), ack);
  }

  private final class Logic extends GraphStageLogic {
    private final OutboundTransfer transfer;
    private final CRC32C crc = new CRC32C();
    /** The run being cut into frames, until its last frame is in the outbox. */
    private PageRun run;
    private ByteBuffer bytes;
    /** {@link #bytes} again, positioned over one frame at a time for its CRC (direct runs). */
    private ByteBuffer crcView;
    /**
     * A heap run's array and the index of its byte 0 (null for a direct run): CRC32C of a read-only heap
     * buffer would copy it through a temporary array per frame, so the CRC reads the array itself.
     */
    private byte[] heapArray;
    private int heapBase;
    private int position;
    private int end;
    /** A frame cut and checksummed that the outbox had no room for yet. */
    private OutboundTransfer.Frame pending;
    private long acceptedBytes;
    private boolean upstreamDone;

    Logic(OutboundTransfer transfer) {
      super(shape);
      this.transfer = transfer;
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          accept(grab(in));
        }

        @Override
        public void onUpstreamFinish() {
          upstreamDone = true;
          if (run == null) finish();
          else setKeepGoing(true); // frames still wait for room in the outbox
        }

        @Override
        public void onUpstreamFailure(Throwable cause) {
          TfsException failure = cause instanceof TfsException t ? t
              : new TfsException(TfsException.codeOf(cause), String.valueOf(cause.getMessage()), cause);
          giveUp(failure);
        }
      });
    }

    @Override
    public void preStart() {
      transfer.wake = createAsyncCallback(signal -> resume());
      // A fetch served here starts on the executor: its transfer may have ended before there was a callback to wake.
      TfsException abort = transfer.abort;
      if (abort != null) {
        cancelStage(abort);
        return;
      }
      engine.startOutbound(transfer);
      pull(in);
    }

    @Override
    public void postStop() {
      if (!transfer.finished && transfer.upstreamFailure == null && transfer.abort == null) {
        transfer.upstreamFailure = new TfsException(ErrorCode.INTERNAL, "sending stream stopped early");
      }
      PageRun held = run;
      run = null;
      pending = null;
      transfer.stageStopped(held);
    }

    private void accept(PageRun element) {
      ByteBuffer b = element.bytes();
      if (!b.hasRemaining()) {
        element.release();
        pull(in);
        return;
      }
      acceptedBytes += b.remaining();
      if (acceptedBytes > transfer.lengthBytes) {
        element.release();
        giveUp(new TfsException(transfer.requester ? ErrorCode.BAD_REQUEST : ErrorCode.INTERNAL, "chunk " + transfer.chunk
            + ": more than the " + transfer.lengthBytes + " bytes " + (transfer.requester ? "announced" : "requested")));
        return;
      }
      run = element;
      bytes = b;
      if (b.isDirect()) {
        crcView = b.duplicate();
        heapArray = null;
      } else {
        crcView = null;
        heapArray = BufferUtil.array(b);
        heapBase = BufferUtil.arrayOffset(b);
      }
      position = b.position();
      end = b.limit();
      offerFrames();
    }

    private void resume() {
      TfsException abort = transfer.abort;
      if (abort != null) {
        cancelStage(abort);
        return;
      }
      if (run != null) offerFrames();
    }

    private void offerFrames() {
      while (pending != null || position < end) {
        if (pending == null) pending = nextFrame();
        if (!transfer.outbox.offer(pending)) {
          transfer.stageWaiting.set(true);
          if (!transfer.outbox.offer(pending)) return; // the engine wakes us once the outbox is half empty
          transfer.stageWaiting.set(false);
        }
        if (pending.endsRun != null) run = null; // handed over: the engine releases it
        pending = null;
      }
      bytes = null;
      crcView = null;
      heapArray = null;
      if (upstreamDone) finish();
      else pull(in);
    }

    private OutboundTransfer.Frame nextFrame() {
      int n = Math.min(transfer.maxPayloadBytes, end - position);
      OutboundTransfer.Frame f = transfer.spare.poll();
      if (f == null) f = new OutboundTransfer.Frame();
      crc.reset();
      if (heapArray != null) {
        crc.update(heapArray, heapBase + position, n);
      } else {
        crcView.limit(position + n).position(position);
        crc.update(crcView);
      }
      f.bytes = bytes;
      f.offset = position;
      f.length = n;
      f.crc = (int) crc.getValue();
      position += n;
      f.endsRun = position == end ? run : null;
      return f;
    }

    private void finish() {
      if (transfer.requester && acceptedBytes != transfer.lengthBytes) {
        giveUp(new TfsException(ErrorCode.INCOMPLETE_UPLOAD, "chunk " + transfer.chunk + ": the stream ended after "
            + acceptedBytes + " of " + transfer.lengthBytes + " announced bytes"));
        return;
      }
      transfer.finished = true;
      completeStage();
    }

    private void giveUp(TfsException failure) {
      transfer.upstreamFailure = failure;
      if (isClosed(in)) completeStage();
      else cancelStage(failure);
    }
  }
}
