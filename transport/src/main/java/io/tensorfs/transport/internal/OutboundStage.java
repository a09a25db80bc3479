package io.tensorfs.transport.internal;

import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PushAck;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.GraphStageWithMaterializedValue;
import org.apache.pekko.util.ByteString;
import scala.Tuple2;

/**
 * The sending end of one transfer as a Sink: cuts elements into frames no larger than the link
 * carries, computes each frame's CRC32C on the stream's thread, and puts them in the transfer's
 * bounded outbox. It pulls only while the outbox has room, and the engine drains the outbox only as
 * the receiver grants credit: that is the backpressure. Materializes the push's acknowledgement (a
 * fetch served here never completes it). Materialize once.
 */
final class OutboundStage extends GraphStageWithMaterializedValue<SinkShape<ByteString>, CompletionStage<PushAck>> {
  private final Inlet<ByteString> in = Inlet.create("OutboundStage.in");
  private final SinkShape<ByteString> shape = SinkShape.of(in);
  private final TransferEngine engine;
  private final Supplier<OutboundTransfer> transfers;

  /** {@code transfers} makes the transfer each materialization runs. */
  OutboundStage(TransferEngine engine, Supplier<OutboundTransfer> transfers) {
    this.engine = engine;
    this.transfers = transfers;
  }

  @Override
  public SinkShape<ByteString> shape() {
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
    private byte[] array;
    private int position;
    private int end;
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
          if (array == null) finish();
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
      engine.startOutbound(transfer);
      pull(in);
    }

    @Override
    public void postStop() {
      if (!transfer.finished && transfer.upstreamFailure == null && transfer.abort == null) {
        transfer.upstreamFailure = new TfsException(ErrorCode.INTERNAL, "sending stream stopped early");
      }
    }

    private void accept(ByteString element) {
      if (element.isEmpty()) {
        pull(in);
        return;
      }
      acceptedBytes += element.length();
      if (acceptedBytes > transfer.lengthBytes) {
        giveUp(new TfsException(transfer.requester ? ErrorCode.BAD_REQUEST : ErrorCode.INTERNAL, "chunk " + transfer.chunk
            + ": more than the " + transfer.lengthBytes + " bytes " + (transfer.requester ? "announced" : "requested")));
        return;
      }
      array = element.toArrayUnsafe();
      position = 0;
      end = array.length;
      offerFrames();
    }

    private void resume() {
      TfsException abort = transfer.abort;
      if (abort != null) {
        cancelStage(abort);
        return;
      }
      if (array != null) offerFrames();
    }

    private void offerFrames() {
      while (position < end) {
        int n = Math.min(transfer.maxPayloadBytes, end - position);
        OutboundTransfer.Frame frame = new OutboundTransfer.Frame(array, position, n, Crc32c.of(array, position, n));
        if (!transfer.outbox.offer(frame)) {
          transfer.stageWaiting.set(true);
          if (!transfer.outbox.offer(frame)) return; // the engine wakes us when it takes a frame
          transfer.stageWaiting.set(false);
        }
        position += n;
      }
      array = null;
      if (upstreamDone) finish();
      else pull(in);
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
