package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;

/**
 * One push of a replica to a peer, fed piece by piece: {@link #append} completes once the piece is
 * queued for the transport, which takes it only as the peer grants credit, so a slow peer slows the
 * writer. Calls are sequential, like a {@link io.tensorfs.store.ChunkWriter}'s.
 */
final class PushWriter {
  /** Pieces queued ahead of the transport (each at most one write batch). */
  private static final int QUEUED_PIECES = 4;

  private final String peer;
  private final SourceQueueWithComplete<ByteString> queue;
  private final CompletionStage<PushAck> ack;

  PushWriter(Transport transport, String peer, String endpoint, PushRequest request, Materializer materializer) {
    this.peer = peer;
    Pair<SourceQueueWithComplete<ByteString>, CompletionStage<PushAck>> run =
        Source.<ByteString>queue(QUEUED_PIECES, OverflowStrategy.backpressure())
            .toMat(transport.push(endpoint, request), Keep.both())
            .run(materializer);
    this.queue = run.first();
    this.ack = Stages.onTheSpot(run.second());
  }

  CompletionStage<Done> append(ByteString bytes) {
    // On the stream's thread, which completes the offer: not a pool hop (a new thread on two cores) per piece.
    return Stages.onTheSpot(queue.offer(bytes)).thenCompose(result -> {
      if (result == QueueOfferResult.enqueued()) return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
      // The push ended early: its own failure says why better than the queue does.
      return ack.thenApply(a -> {
        throw new TfsException(ErrorCode.UNAVAILABLE, "push to " + peer + " ended early");
      });
    });
  }

  /** Ends the stream; completes with the peer's acknowledgement once it stored the replica. */
  CompletionStage<PushAck> finish() {
    queue.complete();
    return ack;
  }

  void abort() {
    queue.fail(new TfsException(ErrorCode.UNAVAILABLE, "push to " + peer + " abandoned"));
  }
}
