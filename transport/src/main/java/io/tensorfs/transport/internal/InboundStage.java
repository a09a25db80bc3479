package io.tensorfs.transport.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The receiving end of one streamed transfer as a Source: emits the bytes in transfer order as the
 * engine verified them in the transfer's {@link LandingRing} (each frame's CRC32C is checked there, on the
 * page), as many as have arrived in one element, and grants the sender more credit as its downstream
 * takes bytes, so a slow consumer slows the sender. Materialize once.
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
    private final LandingRing ring = transfer.ring;
    private final long windowBytes = engine.settings().windowBytes();
    /** The most bytes one element carries: credit is granted as each is taken. */
    private final int elementBytes = (int) Math.min(ring.capacity(), windowBytes / 4);
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
      transfer.letGoOfRing(false);
    }

    private void stop() {
      if (!transfer.stageStopped) {
        transfer.stageStopped = true;
        engine.inboundStopped(transfer, completed);
      }
    }

    private void drain() {
      while (true) {
        for (Object event = transfer.inbox.poll(); event != null; event = transfer.inbox.poll()) {
          if (!take(event)) return;
        }
        if (endTotal >= 0 && nextPosition >= endTotal) {
          completed = true;
          completeStage();
          return;
        }
        int n = ring.readable(nextPosition);
        if (n > 0) {
          if (!isAvailable(out)) return;
          emit(Math.min(n, elementBytes));
          continue;
        }
        transfer.stageWaiting.set(true);
        // The engine publishes bytes before it reads stageWaiting; this reads them after writing it.
        if (ring.readable(nextPosition) == 0 && transfer.inbox.isEmpty()) return;
        transfer.stageWaiting.set(false);
      }
    }

    /** Files an END or a failure; false when the stage ended. */
    private boolean take(Object event) {
      if (event instanceof InboundTransfer.End end) {
        if (transfer.exactLength && end.totalBytes() != transfer.lengthBytes) {
          return fail(new TfsException(ErrorCode.INCOMPLETE_UPLOAD, "chunk " + transfer.chunk + ": " + end.totalBytes()
              + " bytes received of " + transfer.lengthBytes + " announced"));
        }
        endTotal = end.totalBytes();
        return true;
      }
      return fail((TfsException) event);
    }

    private boolean fail(TfsException cause) {
      failStage(cause);
      return false;
    }

    /** Reads {@code n} verified bytes out of the ring (they leave the pages here) and grants credit for them. */
    private void emit(int n) {
      byte[] bytes = new byte[n];
      ring.copy(nextPosition, bytes, 0, n);
      nextPosition += n;
      push(out, ByteString.fromArrayUnsafe(bytes));
      if (nextPosition - grantedAt >= windowBytes / 4) {
        grantedAt = nextPosition;
        engine.grant(transfer, nextPosition + windowBytes);
      }
    }
  }
}
