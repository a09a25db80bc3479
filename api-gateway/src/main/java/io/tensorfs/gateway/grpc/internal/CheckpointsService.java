package io.tensorfs.gateway.grpc.internal;

import com.google.protobuf.UnsafeByteOperations;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.gateway.grpc.v1.BeginCheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointInfo;
import io.tensorfs.gateway.grpc.v1.CheckpointManifest;
import io.tensorfs.gateway.grpc.v1.CheckpointRequest;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.ItemRead;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsReply;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsRequest;
import io.tensorfs.gateway.grpc.v1.RestoreMessage;
import io.tensorfs.gateway.grpc.v1.RestoreRequest;
import io.tensorfs.gateway.grpc.v1.RetainRequest;
import io.tensorfs.gateway.grpc.v1.SaveMessage;
import io.tensorfs.gateway.grpc.v1.SaveReply;
import io.tensorfs.sharding.checkpoint.Checkpoints;
import io.tensorfs.sharding.checkpoint.ItemRef;
import io.tensorfs.sharding.checkpoint.SavePiece;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The gRPC service {@code tensorfs.v1.Checkpoints}: a thin adapter from the wire to the node's
 * {@link Checkpoints} operator; bytes from clients' host or GPU buffers are gathered, and restored into
 * them, by {@link BatchIo}. Failures become gRPC statuses in {@link Errors}. Thread-safe.
 */
public final class CheckpointsService implements io.tensorfs.gateway.grpc.v1.Checkpoints {
  private final ActorSystem<?> system;
  private final Checkpoints checkpoints;
  private final BatchIo batch;
  private final int inFlightPerStream;
  private final Caller caller;

  /** @param caller who every call of this instance acts as; a job's first segment is its tenant */
  public CheckpointsService(ActorSystem<?> system, Checkpoints checkpoints, BatchIo batch, int inFlightPerStream,
      Caller caller) {
    this.caller = caller;
    this.system = system;
    this.checkpoints = checkpoints;
    this.batch = batch;
    this.inFlightPerStream = inFlightPerStream;
  }

  @Override
  public CompletionStage<CheckpointInfo> begin(BeginCheckpointRequest in) {
    return attempt(() -> checkpoints.begin(allowed(in.getName(), Operation.WRITE), in.getRanks(), Policy.parse(in.getPolicy()),
        in.getKeepLast()).thenApply(CheckpointWire::info));
  }

  /**
   * The first message names the checkpoint and the rank; each message's bytes (inline or from its
   * buffers) are pulled only as the operator writes them, so the client is held back by HTTP/2 flow
   * control while the replicas make the bytes durable.
   */
  @Override
  public CompletionStage<SaveReply> save(Source<SaveMessage, NotUsed> in) {
    return in.prefixAndTail(1).runWith(Sink.head(), system).thenCompose(headAndTail -> {
      if (headAndTail.first().isEmpty()) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "a save needs at least one message naming its checkpoint");
      }
      SaveMessage first = headAndTail.first().get(0);
      TfsPath name = allowed(first.getName(), Operation.WRITE);
      Source<SavePiece, NotUsed> pieces = Source.single(first).concat(headAndTail.second())
          .flatMapConcat(this::pieces);
      return checkpoints.save(name, first.getRank(), pieces);
    }).thenApply(items -> {
      SaveReply.Builder b = SaveReply.newBuilder();
      items.forEach(i -> b.addItems(CheckpointWire.item(i)));
      return b.build();
    });
  }

  /** One message as pieces: its inline bytes, or its buffers' bytes in order; the rank's done last. */
  private Source<SavePiece, NotUsed> pieces(SaveMessage m) {
    if (m.getSgesCount() > 0 && !m.getData().isEmpty()) {
      return Source.failed(new TfsException(ErrorCode.BAD_REQUEST, "a save message carries bytes or buffers, not both"));
    }
    OptionalLong size = m.getSize() > 0 ? OptionalLong.of(m.getSize()) : OptionalLong.empty();
    Source<SavePiece, NotUsed> bytes;
    if (m.getKey().isEmpty()) {
      bytes = m.getData().isEmpty() && m.getSgesCount() == 0 ? Source.empty()
          : Source.failed(new TfsException(ErrorCode.BAD_REQUEST, "bytes need the key of their item"));
    } else if (m.getSgesCount() == 0) {
      bytes = Source.single(new SavePiece(m.getKey(), m.getOffset(), size,
          ByteString.fromArrayUnsafe(m.getData().toByteArray()), false));
    } else {
      long[] at = {m.getOffset()};
      bytes = Source.single(new SavePiece(m.getKey(), m.getOffset(), size, ByteString.emptyByteString(), false))
          .concat(Source.completionStage(batch.gather(m.getSgesList())).flatMapConcat(s -> s).map(b -> {
            SavePiece p = new SavePiece(m.getKey(), at[0], OptionalLong.empty(), b, false);
            at[0] += b.size();
            return p;
          }));
    }
    return m.getRankDone() ? bytes.concat(Source.single(SavePiece.done())) : bytes;
  }

  @Override
  public CompletionStage<CheckpointInfo> commit(CheckpointRequest in) {
    return attempt(() -> checkpoints.commit(allowed(in.getName(), Operation.WRITE)).thenApply(CheckpointWire::info));
  }

  @Override
  public CompletionStage<CheckpointInfo> abort(CheckpointRequest in) {
    return attempt(() -> checkpoints.abort(allowed(in.getName(), Operation.WRITE)).thenApply(CheckpointWire::info));
  }

  @Override
  public CompletionStage<CheckpointManifest> describe(CheckpointRequest in) {
    return attempt(() -> checkpoints.describe(allowed(in.getName(), Operation.READ)).thenApply(CheckpointWire::manifest));
  }

  @Override
  public CompletionStage<ListCheckpointsReply> list(ListCheckpointsRequest in) {
    return attempt(() -> checkpoints.list(allowed(in.getJob(), Operation.READ)).thenApply(CheckpointWire::list));
  }

  @Override
  public CompletionStage<CheckpointInfo> latest(ListCheckpointsRequest in) {
    return attempt(() -> checkpoints.latest(allowed(in.getJob(), Operation.READ)).thenApply(CheckpointWire::info));
  }

  @Override
  public Source<RestoreMessage, NotUsed> restore(RestoreRequest in) {
    List<ItemRef> refs = in.getItemsList().stream().map(r -> new ItemRef(r.getRank(), r.getKey())).toList();
    return Source.completionStage(attempt(() -> CompletableFuture.completedFuture(allowed(in.getName(), Operation.READ))))
        .flatMapConcat(name -> checkpoints.restore(name, refs))
        .map(piece -> piece.item().isPresent()
            ? RestoreMessage.newBuilder().setItem(CheckpointWire.item(piece.item().get())).build()
            : RestoreMessage.newBuilder().setData(UnsafeByteOperations.unsafeWrap(piece.bytes().toArrayUnsafe())).build());
  }

  /**
   * Reads of committed items into host/GPU buffers; the checkpoint is named by the stream's first
   * message. At most {@code inFlightPerStream} reads run at once.
   */
  @Override
  public Source<Completion, NotUsed> restoreInto(Source<ItemRead, NotUsed> in) {
    String[] name = {null};
    return in.map(r -> {
          if (name[0] == null) name[0] = r.getName();
          return r;
        })
        .mapAsyncUnordered(inFlightPerStream, r -> restoreOne(name[0], r));
  }

  private CompletionStage<Completion> restoreOne(String name, ItemRead r) {
    return attempt(() -> {
      if (r.getOffset() < 0) throw new TfsException(ErrorCode.BAD_REQUEST, "offset " + Long.toUnsignedString(r.getOffset()));
      return checkpoints.item(allowed(name, Operation.READ), new ItemRef(r.getItem().getRank(), r.getItem().getKey()))
          .thenCompose(parts -> batch.scatter(parts.parts(), r.getOffset(), r.getSgesList()));
    }).handle((n, e) -> e == null
        ? Completion.newBuilder().setId(r.getId()).setValue(n).build()
        : Errors.completion(r.getId(), e));
  }

  @Override
  public CompletionStage<CheckpointInfo> delete(CheckpointRequest in) {
    return attempt(() -> checkpoints.delete(allowed(in.getName(), Operation.DELETE)).thenApply(CheckpointWire::info));
  }

  @Override
  public CompletionStage<ListCheckpointsReply> retain(RetainRequest in) {
    return attempt(() -> checkpoints.retain(allowed(in.getJob(), Operation.WRITE), in.getKeepLast()).thenApply(CheckpointWire::list));
  }

  /** The path named {@code text}, once {@link Access} allows {@code op} on it (FORBIDDEN otherwise). */
  private TfsPath allowed(String text, Operation op) {
    TfsPath path = TfsPath.parse(text);
    Access.check(caller, op, path);
    return path;
  }

  private static <T> CompletionStage<T> attempt(Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
