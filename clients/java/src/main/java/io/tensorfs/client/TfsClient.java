package io.tensorfs.client;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.tensorfs.client.local.LocalChannel;
import io.tensorfs.client.local.ChannelKv;
import io.tensorfs.gateway.grpc.v1.AttachLocalReply;
import io.tensorfs.gateway.grpc.v1.Chunk;
import io.tensorfs.gateway.grpc.v1.DeleteReply;
import io.tensorfs.gateway.grpc.v1.DeleteRequest;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.HintOp;
import io.tensorfs.gateway.grpc.v1.HintReply;
import io.tensorfs.gateway.grpc.v1.HintRequest;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.ListRequest;
import io.tensorfs.gateway.grpc.v1.MkdirRequest;
import io.tensorfs.gateway.grpc.v1.RenameRequest;
import io.tensorfs.gateway.grpc.v1.RmdirReply;
import io.tensorfs.gateway.grpc.v1.RmdirRequest;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import io.tensorfs.gateway.grpc.v1.Precondition;
import io.tensorfs.gateway.grpc.v1.ReadRequest;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
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
  /** The system property that turns the local channel off for {@link #connect(String, int, String)}: {@code off}. */
  public static final String LOCAL_PROPERTY = "tensorfs.client.local";
  /** How long {@code connect} waits for the node to attach a local channel. */
  static final java.time.Duration ATTACH_WAIT = java.time.Duration.ofSeconds(5);
  /** Largest piece of a write sent in one message, in bytes. */
  static final int WRITE_PIECE_BYTES = 1 << 20;

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final TensorfsGrpc.TensorfsStub grpc;
  private final TfsCheckpoints checkpoints;
  private final KvClient kv;
  private final LocalChannel local;

  private TfsClient(ManagedChannel channel, boolean ownsChannel, BearerToken token, boolean tryLocal) {
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
    this.local = tryLocal ? attachLocal(files) : null;
    this.kv = local != null ? new LocalKv(new ChannelKv(local)) : new GrpcKv(files);
  }

  /**
   * Whether {@code connect} tries the local channel: unless the system property {@value #LOCAL_PROPERTY} is
   * {@code off}.
   */
  private static boolean localWanted() {
    return !"off".equalsIgnoreCase(System.getProperty(LOCAL_PROPERTY, "on"));
  }

  /**
   * Attaches a local channel to the node, once, waiting at most {@link #ATTACH_WAIT}; null when the node is on
   * another host (NOT_FOUND), serves none (UNAVAILABLE), or anything else fails: the client then uses gRPC.
   */
  private static LocalChannel attachLocal(TensorfsGrpc.TensorfsStub files) {
    try {
      return LocalChannel.attach(request -> {
        UnaryCall<AttachLocalReply> call = new UnaryCall<>();
        files.withDeadlineAfter(ATTACH_WAIT.toMillis(), TimeUnit.MILLISECONDS).attachLocal(request, call);
        return call.result();
      }).toCompletableFuture().orTimeout(ATTACH_WAIT.toMillis() + 1000, TimeUnit.MILLISECONDS).join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      boolean expected = cause instanceof TfsClientException t
          && (t.code() == io.tensorfs.gateway.grpc.v1.Status.NOT_FOUND || t.code() == io.tensorfs.gateway.grpc.v1.Status.UNAVAILABLE);
      if (!expected) {
        System.getLogger(TfsClient.class.getName()).log(System.Logger.Level.DEBUG,
            "no local channel to the node, using gRPC: " + cause);
      }
      return null;
    }
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
    return connect(host, port, token, localWanted());
  }

  /**
   * {@link #connect(String, int, String)}; with {@code tryLocal}, it first asks the node to attach a local
   * channel (shared-memory rings, see {@link LocalChannel}), once: when the node is on this host, {@link #kv()}
   * and {@link #openBatch()} then go through it; otherwise everything goes over gRPC, with the same answers.
   * {@code connect(host, port, token)} tries unless the system property {@value #LOCAL_PROPERTY} is {@code off}.
   */
  public static TfsClient connect(String host, int port, String token, boolean tryLocal) {
    return new TfsClient(Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build(), true,
        BearerToken.of(token), tryLocal);
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
    return new TfsClient(channel, false, BearerToken.of(token), false);
  }

  /** The node's checkpoints over this client's channel. */
  public TfsCheckpoints checkpoints() {
    return checkpoints;
  }

  /**
   * The tenants' KV-cache blocks, batched (see {@link KvClient}): over the local channel when attached
   * ({@link LocalKv}), else over gRPC, where values travel inline in messages and a batch may be as large as
   * the node's inbound message limit ({@code tensorfs.grpc.max-inbound-message}).
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

  /**
   * Writes {@code bytes} as the whole new version of {@code header.getPath()}: {@code header} is the first
   * message, naming the path, policy, precondition and the new version's attributes (mode, uid, gid,
   * mtime_millis, content_type, md5_hex, user; zeros and blanks are the defaults), with no data.
   */
  public CompletionStage<FileInfo> write(WriteChunk header, InputStream bytes) {
    WriteCall call = new WriteCall(header, bytes, WRITE_PIECE_BYTES);
    grpc.write(call);
    return call.result();
  }

  /**
   * Makes an explicit directory (it stays when emptied) with the directories above it; {@code mode} 0 is
   * 0755. Completes with its stat ({@code is_dir}); fails CONFLICT "exists" when it is there already.
   */
  public CompletionStage<FileInfo> mkdir(String path, int mode) {
    UnaryCall<FileInfo> call = new UnaryCall<>();
    grpc.mkdir(MkdirRequest.newBuilder().setPath(path).setMode(mode).build(), call);
    return call.result();
  }

  /** {@link #mkdir(String, int)} with mode 0755. */
  public CompletionStage<FileInfo> mkdir(String path) {
    return mkdir(path, 0);
  }

  /** {@link #mkdir(String, int)} with every field of the request (mode, uid, gid, mtime_millis). */
  public CompletionStage<FileInfo> mkdir(MkdirRequest request) {
    UnaryCall<FileInfo> call = new UnaryCall<>();
    grpc.mkdir(request, call);
    return call.result();
  }

  /** Removes an empty directory: fails NOT_FOUND, or CONFLICT "not empty". */
  public CompletionStage<Void> rmdir(String path) {
    UnaryCall<RmdirReply> call = new UnaryCall<>();
    grpc.rmdir(RmdirRequest.newBuilder().setPath(path).build(), call);
    return call.result().thenApply(r -> null);
  }

  /**
   * Renames a file (the target becomes its version: same bytes, no copy) or a directory (entry by entry);
   * completes with the target's stat.
   */
  public CompletionStage<FileInfo> rename(String from, String to) {
    return rename(from, to, Precondition.getDefaultInstance());
  }

  /** {@link #rename(String, String)} if {@code onTarget} holds on the target's version (a file rename). */
  public CompletionStage<FileInfo> rename(String from, String to, Precondition onTarget) {
    UnaryCall<FileInfo> call = new UnaryCall<>();
    grpc.rename(RenameRequest.newBuilder().setFrom(from).setTo(to).setPrecondition(onTarget).build(), call);
    return call.result();
  }

  /** Sets the fields the request sets (of a file, or of a directory); completes with the stat after. */
  public CompletionStage<FileInfo> setAttributes(SetAttributesRequest request) {
    UnaryCall<FileInfo> call = new UnaryCall<>();
    grpc.setAttributes(request, call);
    return call.result();
  }

  /** chmod: {@code mode} is the POSIX permission bits (07777 at most). */
  public CompletionStage<FileInfo> chmod(String path, int mode) {
    return setAttributes(SetAttributesRequest.newBuilder().setPath(path).setMode(mode).build());
  }

  /** chown. */
  public CompletionStage<FileInfo> chown(String path, int uid, int gid) {
    return setAttributes(SetAttributesRequest.newBuilder().setPath(path).setUid(uid).setGid(gid).build());
  }

  /** utimens: the modification time, in milliseconds since the epoch. */
  public CompletionStage<FileInfo> setMtime(String path, long mtimeMillis) {
    return setAttributes(SetAttributesRequest.newBuilder().setPath(path).setMtimeMillis(mtimeMillis).build());
  }

  /** Opens a Batch stream for preadv/pwritev submissions: over the local channel when attached, else gRPC. */
  public BatchSession openBatch() {
    return local != null ? new BatchSession(local) : new BatchSession(grpc);
  }

  /** Whether this client attached a local channel to its node (KV and batch calls go through it). */
  public boolean local() {
    return local != null;
  }

  /** The local channel, when attached: for zero-copy calls with {@link io.tensorfs.client.local.SharedBuffer}s. */
  public java.util.Optional<LocalChannel> localChannel() {
    return java.util.Optional.ofNullable(local);
  }

  /**
   * Closes the connection when this client made it: calls under way may finish within 10 s, then are
   * cancelled. Completes when the connection has terminated.
   */
  public CompletionStage<Void> close() {
    if (local != null) local.close();
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
