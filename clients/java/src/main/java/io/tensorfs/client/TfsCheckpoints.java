package io.tensorfs.client;

import io.grpc.stub.StreamObserver;
import io.tensorfs.gateway.grpc.v1.BeginCheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointInfo;
import io.tensorfs.gateway.grpc.v1.CheckpointManifest;
import io.tensorfs.gateway.grpc.v1.CheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointsGrpc;
import io.tensorfs.gateway.grpc.v1.ItemState;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsReply;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsRequest;
import io.tensorfs.gateway.grpc.v1.RestoreMessage;
import io.tensorfs.gateway.grpc.v1.RestoreRequest;
import io.tensorfs.gateway.grpc.v1.SaveReply;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * The checkpoints of a node (service {@code tensorfs.v1.Checkpoints}), from {@link TfsClient#checkpoints()}:
 * begin, a rank's save, commit, abort, describe, list, latest, restore, delete. Calls answer
 * {@code CompletionStage}s failing with {@link TfsClientException}. Thread-safe.
 */
public final class TfsCheckpoints {
  private final CheckpointsGrpc.CheckpointsStub grpc;

  TfsCheckpoints(CheckpointsGrpc.CheckpointsStub grpc) {
    this.grpc = grpc;
  }

  /** Opens {@code /tenant/job/step} for {@code ranks} ranks; policy empty: persistent; keepLast 0: keep all. */
  public CompletionStage<CheckpointInfo> begin(String name, int ranks, String policy, int keepLast) {
    UnaryCall<CheckpointInfo> call = new UnaryCall<>();
    grpc.begin(BeginCheckpointRequest.newBuilder().setName(name).setRanks(ranks).setPolicy(policy)
        .setKeepLast(keepLast).build(), call);
    return call.result();
  }

  /** Saves a rank's items, in order; with {@code rankDone} the rank then says it has sent all. */
  public CompletionStage<List<ItemState>> save(String name, int rank, List<CheckpointItem> items, boolean rankDone) {
    SaveCall call = new SaveCall(name, rank, items, rankDone, TfsClient.WRITE_PIECE_BYTES);
    grpc.save(call);
    return call.result().thenApply(SaveReply::getItemsList);
  }

  public CompletionStage<CheckpointInfo> commit(String name) {
    UnaryCall<CheckpointInfo> call = new UnaryCall<>();
    grpc.commit(request(name), call);
    return call.result();
  }

  public CompletionStage<CheckpointInfo> abort(String name) {
    UnaryCall<CheckpointInfo> call = new UnaryCall<>();
    grpc.abort(request(name), call);
    return call.result();
  }

  public CompletionStage<CheckpointInfo> delete(String name) {
    UnaryCall<CheckpointInfo> call = new UnaryCall<>();
    grpc.delete(request(name), call);
    return call.result();
  }

  /** State, ranks done and every item's acknowledged offset (where a cut-off save resumes). */
  public CompletionStage<CheckpointManifest> describe(String name) {
    UnaryCall<CheckpointManifest> call = new UnaryCall<>();
    grpc.describe(request(name), call);
    return call.result();
  }

  /** The committed checkpoints of {@code /tenant/job}, oldest first. */
  public CompletionStage<List<CheckpointInfo>> list(String job) {
    UnaryCall<ListCheckpointsReply> call = new UnaryCall<>();
    grpc.list(ListCheckpointsRequest.newBuilder().setJob(job).build(), call);
    return call.result().thenApply(ListCheckpointsReply::getCheckpointsList);
  }

  public CompletionStage<CheckpointInfo> latest(String job) {
    UnaryCall<CheckpointInfo> call = new UnaryCall<>();
    grpc.latest(ListCheckpointsRequest.newBuilder().setJob(job).build(), call);
    return call.result();
  }

  /**
   * Every item of a committed checkpoint: {@code each} gets the item and a piece of its bytes, in order
   * (an item's first call may carry no bytes), on grpc-java's thread. Completes with the bytes received.
   */
  public CompletionStage<Long> restore(String name, BiConsumer<ItemState, ByteBuffer> each) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    grpc.restore(RestoreRequest.newBuilder().setName(name).build(), new StreamObserver<>() {
      private ItemState item;
      private long bytes;

      @Override
      public void onNext(RestoreMessage m) {
        if (m.hasItem()) item = m.getItem();
        bytes += m.getData().size();
        each.accept(item, m.getData().asReadOnlyByteBuffer());
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(ClientErrors.translate(error));
      }

      @Override
      public void onCompleted() {
        done.complete(bytes);
      }
    });
    return done;
  }

  private static CheckpointRequest request(String name) {
    return CheckpointRequest.newBuilder().setName(name).build();
  }
}
