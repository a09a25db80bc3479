package io.tensorfs.client;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.tensorfs.gateway.grpc.v1.Chunk;
import io.tensorfs.gateway.grpc.v1.DeleteReply;
import io.tensorfs.gateway.grpc.v1.DeleteRequest;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.HintOp;
import io.tensorfs.gateway.grpc.v1.HintReply;
import io.tensorfs.gateway.grpc.v1.HintRequest;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.ListRequest;
import io.tensorfs.gateway.grpc.v1.Precondition;
import io.tensorfs.gateway.grpc.v1.ReadRequest;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Java client of a tensorfs node's gRPC endpoint, on plain grpc-java. Failed calls fail with a
 * {@link TfsClientException} carrying the node's error code. Thread-safe; one HTTP/2 connection shared
 * by every call. Callbacks and completions run on grpc-java's executor threads.
 *
 * <p>Every call carries the client's token as the metadata {@code authorization: Bearer <token>}: the token
 * given to {@link #connect(String, int, String)} or {@link #over(ManagedChannel, String)}, else the
 * environment variable {@code TFS_TOKEN}. A call without a valid token fails UNAUTHENTICATED; one its token
 * does not allow fails FORBIDDEN.
 */
public final class TfsClient {
  /** Largest piece of a write sent in one message, in bytes. */
  static final int WRITE_PIECE_BYTES = 1 << 20;

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final TensorfsGrpc.TensorfsStub grpc;
  private final TfsCheckpoints checkpoints;
  private final KvClient kv;

  private TfsClient(ManagedChannel channel, boolean ownsChannel, BearerToken token) {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
    TensorfsGrpc.TensorfsStub files = TensorfsGrpc.newStub(channel);
    var checkpointStub = io.tensorfs.gateway.grpc.v1.CheckpointsGrpc.newStub(channel);
    if (token != null) {
      files = files.withInterceptors(token.interceptor());
      checkpointStub = checkpointStub.withInterceptors(token.interceptor());
    }
    this.grpc = files;
    this.checkpoints = new TfsCheckpoints(checkpointStub);
    this.kv = new GrpcKv(files);
  }

  /**
   * Connects (lazily, on the first call) to {@code host:port} with plain-text HTTP/2, sending the token in
   * {@code TFS_TOKEN}; {@link #close} closes it.
   */
  public static TfsClient connect(String host, int port) {
    return connect(host, port, null);
  }

  /**
   * Connects (lazily, on the first call) to {@code host:port} with plain-text HTTP/2, sending {@code token}
   * ({@code tfs_<id>_<secret>}; null: {@code TFS_TOKEN}) with every call; {@link #close} closes it.
   */
  public static TfsClient connect(String host, int port, String token) {
    return new TfsClient(Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build(), true,
        BearerToken.of(token));
  }

  /**
   * A client over a channel the caller built (TLS, an executor of its own) and keeps, sending the token in
   * {@code TFS_TOKEN}: {@link #close} leaves the channel open.
   */
  public static TfsClient over(ManagedChannel channel) {
    return over(channel, null);
  }

  /** {@link #over(ManagedChannel)}, sending {@code token} (null: {@code TFS_TOKEN}) with every call. */
  public static TfsClient over(ManagedChannel channel, String token) {
    return new TfsClient(channel, false, BearerToken.of(token));
  }

  /** The node's checkpoints over this client's channel. */
  public TfsCheckpoints checkpoints() {
    return checkpoints;
  }

  /**
   * The tenants' KV-cache blocks, batched (see {@link KvClient}). Values travel inline in gRPC messages; a
   * batch may be as large as the node's inbound message limit ({@code tensorfs.grpc.max-inbound-message}).
   */
  public KvClient kv() {
    return kv;
  }

  public CompletionStage<FileInfo> stat(String path) {
    UnaryCall<FileInfo> call = new UnaryCall<>();
    grpc.stat(StatRequest.newBuilder().setPath(path).build(), call);
    return call.result();
  }

  /** Every entry of a directory, sorted by name, read page after page. */
  public CompletionStage<List<ListReply.Entry>> list(String path) {
    return listFrom(path, "", new java.util.ArrayList<>());
  }

  private CompletionStage<List<ListReply.Entry>> listFrom(String path, String token, List<ListReply.Entry> so) {
    return listPage(path, 0, token).thenCompose(page -> {
      so.addAll(page.getEntriesList());
      if (page.getNextPageToken().isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(so);
      return listFrom(path, page.getNextPageToken(), so);
    });
  }

  /** One page of a directory: {@code limit} 0 = the node's default; {@code pageToken} "" = the first page. */
  public CompletionStage<ListReply> listPage(String path, int limit, String pageToken) {
    UnaryCall<ListReply> call = new UnaryCall<>();
    grpc.list(ListRequest.newBuilder().setPath(path).setLimit(limit).setPageToken(pageToken).build(), call);
    return call.result();
  }

  /** Deletes every file under a directory; completes with how many. */
  public CompletionStage<Long> deleteTree(String path) {
    UnaryCall<io.tensorfs.gateway.grpc.v1.DeleteTreeReply> call = new UnaryCall<>();
    grpc.deleteTree(io.tensorfs.gateway.grpc.v1.DeleteTreeRequest.newBuilder().setPath(path).build(), call);
    return call.result().thenApply(io.tensorfs.gateway.grpc.v1.DeleteTreeReply::getFilesDeleted);
  }

  /** Deletes the visible version of a file; completes with that version's number. */
  public CompletionStage<Long> delete(String path) {
    return delete(path, Precondition.getDefaultInstance());
  }

  /**
   * Deletes the visible version of a file if {@code precondition} holds on it (see {@link Preconditions});
   * fails with PRECONDITION_FAILED, deleting nothing, when it does not.
   */
  public CompletionStage<Long> delete(String path, Precondition precondition) {
    UnaryCall<DeleteReply> call = new UnaryCall<>();
    grpc.delete(DeleteRequest.newBuilder().setPath(path).setPrecondition(precondition).build(), call);
    return call.result().thenApply(DeleteReply::getVersion);
  }

  /** A cache hint; completes with what the node did, in words. */
  public CompletionStage<String> hint(String path, HintOp op) {
    UnaryCall<HintReply> call = new UnaryCall<>();
    grpc.hint(HintRequest.newBuilder().setPath(path).setOp(op).build(), call);
    return call.result().thenApply(HintReply::getMessage);
  }

  /**
   * Streams the bytes {@code [offset, offset+length)} of a file, clamped to its size (length 0 reads to the
   * end), to {@code each} in order, in pieces of at most 1 MiB; the next piece is asked for when {@code each}
   * returns. A buffer is valid only during its call. Completes with the number of bytes delivered.
   */
  public CompletionStage<Long> read(String path, long offset, long length, Consumer<ByteBuffer> each) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    grpc.read(ReadRequest.newBuilder().setPath(path).setOffset(offset).setLength(length).build(),
        new StreamObserver<Chunk>() {
          private long delivered;

          @Override
          public void onNext(Chunk chunk) {
            delivered += chunk.getData().size();
            each.accept(chunk.getData().asReadOnlyByteBuffer());
          }

          @Override
          public void onError(Throwable error) {
            result.completeExceptionally(ClientErrors.translate(error));
          }

          @Override
          public void onCompleted() {
            result.complete(delivered);
          }
        });
    return result;
  }

  /** The bytes {@code [offset, offset+length)} of a file in one array, clamped to its size; length 0 reads to the end. */
  public CompletionStage<byte[]> readBytes(String path, long offset, long length) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return read(path, offset, length, piece -> {
      byte[] copy = new byte[piece.remaining()];
      piece.get(copy);
      out.writeBytes(copy);
    }).thenApply(n -> out.toByteArray());
  }

  /**
   * Writes the bytes of {@code bytes}, to its end, as the whole new version of {@code path}; {@code policy}
   * empty means persistent. The stream is read on grpc-java's threads, a piece at a time, as the connection
   * takes them, and closed when the call ends.
   */
  public CompletionStage<FileInfo> write(String path, String policy, InputStream bytes) {
    return write(path, policy, Precondition.getDefaultInstance(), bytes);
  }

  /**
   * Like {@link #write(String, String, InputStream)}, if {@code precondition} holds on the version it
   * replaces (see {@link Preconditions}): checked before the bytes are taken and again when the new
   * version is sealed; fails with PRECONDITION_FAILED, changing nothing, when it does not.
   */
  public CompletionStage<FileInfo> write(String path, String policy, Precondition precondition, InputStream bytes) {
    WriteCall call = new WriteCall(path, policy, precondition, bytes, WRITE_PIECE_BYTES);
    grpc.write(call);
    return call.result();
  }

  /** Writes {@code bytes} as the whole new version of {@code path}; {@code policy} empty means persistent. */
  public CompletionStage<FileInfo> write(String path, String policy, byte[] bytes) {
    return write(path, policy, new ByteArrayInputStream(bytes));
  }

  /** Writes {@code bytes} as the whole new version of {@code path} if {@code precondition} holds. */
  public CompletionStage<FileInfo> write(String path, String policy, Precondition precondition, byte[] bytes) {
    return write(path, policy, precondition, new ByteArrayInputStream(bytes));
  }

  /** Opens a Batch stream for preadv/pwritev submissions. */
  public BatchSession openBatch() {
    return new BatchSession(grpc);
  }

  /**
   * Closes the connection when this client made it: calls under way may finish within 10 s, then are
   * cancelled. Completes when the connection has terminated.
   */
  public CompletionStage<Void> close() {
    if (!ownsChannel) return CompletableFuture.completedFuture(null);
    channel.shutdown();
    return CompletableFuture.runAsync(() -> {
      try {
        if (!channel.awaitTermination(10, TimeUnit.SECONDS)) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }, task -> {
      Thread t = new Thread(task, "tensorfs-client-close");
      t.setDaemon(true);
      t.start();
    });
  }
}
