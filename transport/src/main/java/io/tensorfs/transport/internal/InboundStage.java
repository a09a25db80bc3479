package io.tensorfs.transport.internal;

import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The receiving end of one transfer as a Source: emits the payloads in transfer order, each after its
 * CRC32C is checked, and grants the sender more credit as its downstream takes bytes, so a slow
 * consumer slows the sender. Materialize once.
 */
final class InboundStage extends GraphStage<SourceShape<ByteString>> {
  private final Outlet<ByteString> out = Outlet.create("InboundStage.out");
  private final SourceShape<ByteString> shape = SourceShape.of(out);
  private final TransferEngine engine;
  private final Supplier<InboundTransfer> transfers;

  /** {@code transfers} makes the transfer each materialization runs. */
  InboundStage(TransferEngine engine, Supplier<InboundTransfer> transfers) {
    this.engine = engine;
    this.transfers = transfers;
  }

  @Override
  public SourceShape<ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic {
    private final InboundTransfer transfer = transfers.get();
    private final long windowBytes = engine.settings().windowBytes();
    /** Frames that arrived ahead of their turn (TCP stripes may reorder); at most a window's worth. */
    private final Map<Long, InboundTransfer.Data> early = new HashMap<>();
    private InboundTransfer.Data ready;
    private long nextPosition;
    private long grantedAt;
    private long endTotal = -1;
    private boolean completed;

    Logic() {
      super(shape);
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          drain();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          stop();
          completeStage();
        }
      });
    }

    @Override
    public void preStart() {
      transfer.wake = createAsyncCallback(signal -> drain());
      engine.startInbound(transfer);
    }

    @Override
    public void postStop() {
      stop();
    }

    private void stop() {
      if (!transfer.stageStopped) {
        transfer.stageStopped = true;
        engine.inboundStopped(transfer, completed);
      }
    }

    private void drain() {
      while (true) {
        if (ready == null) ready = early.remove(nextPosition);
        if (ready != null) {
          if (!isAvailable(out)) return;
          emit(ready);
          ready = null;
          continue;
        }
        if (endTotal >= 0 && nextPosition >= endTotal) {
          completed = true;
          completeStage();
          return;
        }
        Object event = transfer.inbox.poll();
        if (event == null) {
          transfer.stageWaiting.set(true);
          if (transfer.inbox.isEmpty()) return;
          transfer.stageWaiting.set(false);
        } else if (!take(event)) {
          return;
        }
      }
    }

    /** Files one inbox event; false when the stage ended. */
    private boolean take(Object event) {
      if (event instanceof InboundTransfer.Data data) {
        int crc = Crc32c.of(data.payload(), 0, data.payload().length);
        if (crc != data.crc()) {
          return fail(new TfsException(ErrorCode.CHECKSUM_MISMATCH, "chunk " + transfer.chunk + " at offset "
              + (transfer.baseOffset + data.position()) + ": frame CRC32C " + Crc32c.hex(crc) + " received, "
              + Crc32c.hex(data.crc()) + " sent, from " + transfer.peerEndpoint));
        }
        if (data.position() == nextPosition) ready = data;
        else early.put(data.position(), data);
        return true;
      }
      if (event instanceof InboundTransfer.End end) {
        return acceptEnd(end.totalBytes());
      }
      return fail((TfsException) event);
    }

    private boolean acceptEnd(long total) {
      if (transfer.exactLength && total != transfer.lengthBytes) {
        return fail(new TfsException(ErrorCode.INCOMPLETE_UPLOAD, "chunk " + transfer.chunk + ": " + total
            + " bytes received of " + transfer.lengthBytes + " announced"));
      }
      endTotal = total;
      return true;
    }

    private boolean fail(TfsException cause) {
      failStage(cause);
      return false;
    }

    private void emit(InboundTransfer.Data data) {
      push(out, ByteString.fromArrayUnsafe(data.payload()));
      nextPosition += data.payload().length;
      if (nextPosition - grantedAt >= windowBytes / 4) {
        grantedAt = nextPosition;
        engine.grant(transfer, nextPosition + windowBytes);
      }
    }
  }
}
