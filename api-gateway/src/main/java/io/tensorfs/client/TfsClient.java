package io.tensorfs.client;

import com.google.protobuf.UnsafeByteOperations;
import io.tensorfs.gateway.grpc.v1.DeleteRequest;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.HintOp;
import io.tensorfs.gateway.grpc.v1.HintRequest;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.ListRequest;
import io.tensorfs.gateway.grpc.v1.ReadRequest;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.TensorfsClient;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A Java client of a tensorfs node's gRPC endpoint. Failed calls fail with a
 * {@link io.tensorfs.core.TfsException} carrying the node's error code. Thread-safe; one HTTP/2
 * connection shared by every call.
 */
public final class TfsClient {
  /** Largest piece of a write sent in one message. */
  static final int WRITE_PIECE_BYTES = 1 << 20;

  private final TensorfsClient grpc;
  private final Materializer materializer;
  private final ActorSystem ownSystem;

  private TfsClient(TensorfsClient grpc, Materializer materializer, ActorSystem ownSystem) {
    this.grpc = grpc;
    this.materializer = materializer;
    this.ownSystem = ownSystem;
  }

  /** Connects (lazily, on the first call) to {@code host:port} with plain-text HTTP/2. */
  public static TfsClient connect(String host, int port, ClassicActorSystemProvider system) {
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system).withTls(false);
    return new TfsClient(TensorfsClient.create(settings, system), Materializer.matFromSystem(system), null);
  }

  /** As {@link #connect(String, int, ClassicActorSystemProvider)} on an actor system of its own, stopped by {@link #close}. */
  public static TfsClient connect(String host, int port) {
    ActorSystem system = ActorSystem.create("tensorfs-client");
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system).withTls(false);
    return new TfsClient(TensorfsClient.create(settings, system), Materializer.matFromSystem(system), system);
  }

  public CompletionStage<FileInfo> stat(String path) {
    return translated(grpc.stat(StatRequest.newBuilder().setPath(path).build()));
  }

  public CompletionStage<List<ListReply.Entry>> list(String path) {
    return translated(grpc.list(ListRequest.newBuilder().setPath(path).build())).thenApply(ListReply::getEntriesList);
  }

  /** Deletes the visible version of a file; completes with that version's number. */
  public CompletionStage<Long> delete(String path) {
    return translated(grpc.delete(DeleteRequest.newBuilder().setPath(path).build())).thenApply(r -> r.getVersion());
  }

  /** A cache hint; completes with what the node did, in words. */
  public CompletionStage<String> hint(String path, HintOp op) {
    return translated(grpc.hint(HintRequest.newBuilder().setPath(path).setOp(op).build())).thenApply(r -> r.getMessage());
  }

  /** The bytes {@code [offset, offset+length)} of a file, clamped to its size; length 0 reads to the end. */
  public Source<ByteString, NotUsed> read(String path, long offset, long length) {
    return grpc.read(ReadRequest.newBuilder().setPath(path).setOffset(offset).setLength(length).build())
        .map(chunk -> ByteString.fromArrayUnsafe(chunk.getData().toByteArray()))
        .mapError(new org.apache.pekko.japi.pf.PFBuilder<Throwable, Throwable>()
            .matchAny(ClientErrors::translate)
            .build());
  }

  /** Writes {@code bytes} as the whole new version of {@code path}; {@code policy} empty means persistent. */
  public CompletionStage<FileInfo> write(String path, String policy, Source<ByteString, ?> bytes) {
    Source<WriteChunk, NotUsed> messages = Source.single(WriteChunk.newBuilder().setPath(path).setPolicy(policy).build())
        .concat(bytes.mapConcat(TfsClient::pieces)
            .map(b -> WriteChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(b.toArrayUnsafe())).build()))
        .mapMaterializedValue(m -> NotUsed.getInstance());
    return translated(grpc.write(messages));
  }

  /** Opens a Batch stream for preadv/pwritev submissions. */
  public BatchSession openBatch() {
    return new BatchSession(grpc, materializer);
  }

  /** Closes the connection, and the client's own actor system if it made one. */
  public CompletionStage<Done> close() {
    return grpc.close().thenCompose(done -> {
      if (ownSystem == null) return CompletableFuture.completedFuture(done);
      ownSystem.terminate();
      return ownSystem.getWhenTerminated().thenApply(t -> done);
    });
  }

  private static List<ByteString> pieces(ByteString b) {
    if (b.size() <= WRITE_PIECE_BYTES) return List.of(b);
    List<ByteString> out = new java.util.ArrayList<>();
    for (int pos = 0; pos < b.size(); pos += WRITE_PIECE_BYTES) {
      out.add(b.slice(pos, Math.min(b.size(), pos + WRITE_PIECE_BYTES)));
    }
    return out;
  }

  private static <T> CompletionStage<T> translated(CompletionStage<T> call) {
    return call.handle((v, e) -> {
      if (e == null) return CompletableFuture.completedFuture(v);
      return CompletableFuture.<T>failedFuture(ClientErrors.translate(e));
    }).thenCompose(s -> s);
  }
}
