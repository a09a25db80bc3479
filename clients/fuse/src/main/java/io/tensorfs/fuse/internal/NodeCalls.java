package io.tensorfs.fuse.internal;

import io.grpc.Context;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.local.LocalChannel;
import io.tensorfs.fuse.FuseSettings;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.MkdirRequest;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.client.TfsClientException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The mount's calls to its node, each with a deadline: a gRPC deadline (through the call's {@link Context}) and a
 * wait that gives up a second later, so a node that went away answers EIO in bounded time. Blocking by design: the
 * callers are libfuse's worker threads, which must answer each request before they take the next. Thread-safe.
 */
public final class NodeCalls implements AutoCloseable {
  private final TfsClient client;
  private final FuseSettings settings;
  private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "tensorfs-fuse-deadlines");
    t.setDaemon(true);
    return t;
  });

  public NodeCalls(TfsClient client, FuseSettings settings) {
    this.client = client;
    this.settings = settings;
  }

  /** The client, for the calls a newer node adds. */
  public TfsClient client() {
    return client;
  }

  /** The local channel when the node is on this host. */
  public Optional<LocalChannel> local() {
    return client.localChannel();
  }

  /** A file's or directory's attributes ({@code is_dir}); empty when nothing has that name. */
  public Optional<FileInfo> stat(String path) {
    try {
      return Optional.of(call(() -> client.stat(path), settings.callTimeout()));
    } catch (FsError e) {
      if (e.errno() == ErrorCodes.ENOENT()) return Optional.empty();
      throw e;
    }
  }

  /** Makes an explicit directory with {@code mode}, owned by {@code uid:gid}. */
  public void mkdir(String path, int mode, int uid, int gid) {
    call(() -> client.mkdir(MkdirRequest.newBuilder().setPath(path).setMode(mode).setUid(uid).setGid(gid).build()),
        settings.callTimeout());
  }

  /** Removes an empty directory. */
  public void rmdir(String path) {
    call(() -> client.rmdir(path), settings.callTimeout());
  }

  /** Renames a file (atomically) or a directory (entry by entry). */
  public FileInfo rename(String from, String to) {
    return call(() -> client.rename(from, to), settings.uploadTimeout(0).multipliedBy(3));
  }

  /** Changes attributes without new bytes (chmod, chown, utimens). */
  public FileInfo setAttributes(SetAttributesRequest request) {
    return call(() -> client.setAttributes(request), settings.callTimeout());
  }

  /** Every entry of a directory (NOT_FOUND: ENOENT). */
  public List<ListReply.Entry> list(String path) {
    return call(() -> client.list(path), settings.callTimeout());
  }

  /** Deletes a file's visible version (NOT_FOUND: ENOENT). */
  public void delete(String path) {
    call(() -> client.delete(path), settings.callTimeout());
  }

  /**
   * Reads {@code [offset, offset+length)} of a file into {@code into} from its position (not moved): through the
   * local channel when attached, else gRPC. Returns the bytes read (short at the end of the file).
   */
  public long read(String path, long offset, ByteBuffer into) {
    Duration timeout = settings.uploadTimeout(into.remaining());
    return await(readAsync(path, offset, into), timeout);
  }

  /** {@link #read} without waiting: completes with the bytes read. */
  public CompletableFuture<Long> readAsync(String path, long offset, ByteBuffer into) {
    Duration timeout = settings.uploadTimeout(into.remaining());
    Optional<LocalChannel> local = local();
    if (local.isPresent()) {
      return local.get().read(path, offset, List.of(into), 0).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    int base = into.position();
    int limit = into.limit();
    int[] at = {base};
    return start(() -> client.read(path, offset, limit - base, piece -> {
      int n = Math.min(piece.remaining(), limit - at[0]);
      into.put(at[0], piece, piece.position(), n);
      at[0] += n;
    }), timeout).orTimeout(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
  }

  /** Uploads {@code bytes} ({@code sizeBytes} long) as the new version that {@code header} names (no data in it). */
  public FileInfo write(WriteChunk header, InputStream bytes, long sizeBytes) {
    return call(() -> client.write(header, bytes), settings.uploadTimeout(sizeBytes));
  }

  /** Runs {@code call} under a gRPC deadline of {@code timeout} and waits for it at most a second longer. */
  public <T> T call(Supplier<CompletionStage<T>> call, Duration timeout) {
    return await(start(call, timeout), timeout.plusSeconds(1));
  }

  private <T> CompletableFuture<T> start(Supplier<CompletionStage<T>> call, Duration timeout) {
    Context.CancellableContext context = Context.current().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS, deadlines);
    Context previous = context.attach();
    CompletableFuture<T> result;
    try {
      result = call.get().toCompletableFuture();
    } catch (RuntimeException e) {
      context.cancel(null);
      throw Errnos.of(e);
    } finally {
      context.detach(previous);
    }
    result.whenComplete((r, e) -> context.cancel(null));
    return result;
  }

  /** Waits for {@code result} at most {@code timeout}; a failure or the timeout as an {@link FsError}. */
  public static <T> T await(CompletableFuture<T> result, Duration timeout) {
    try {
      return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      result.cancel(false);
      throw new FsError(ErrorCodes.EIO(), "the node did not answer within " + timeout);
    } catch (ExecutionException e) {
      throw Errnos.of(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FsError(ErrorCodes.EINTR(), "interrupted");
    }
  }

  /** Whether a failure means the name is absent. */
  static boolean notFound(Throwable t) {
    return t instanceof TfsClientException c && c.code() == Status.NOT_FOUND;
  }

  @Override
  public void close() {
    deadlines.shutdownNow();
  }
}
