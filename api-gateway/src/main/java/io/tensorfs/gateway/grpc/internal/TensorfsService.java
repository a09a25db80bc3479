package io.tensorfs.gateway.grpc.internal;

import com.google.protobuf.UnsafeByteOperations;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.Failures;
import io.tensorfs.sharding.AttributeChange;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.HintOp;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.PageToken;
import io.tensorfs.gateway.grpc.Hints;
import io.tensorfs.gateway.grpc.LocalAttach;
import io.tensorfs.gateway.grpc.v1.Chunk;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.DeleteReply;
import io.tensorfs.gateway.grpc.v1.DeleteRequest;
import io.tensorfs.gateway.grpc.v1.DeleteTreeReply;
import io.tensorfs.gateway.grpc.v1.DeleteTreeRequest;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.HintReply;
import io.tensorfs.gateway.grpc.v1.HintRequest;
import io.tensorfs.gateway.grpc.v1.ListReply;
import io.tensorfs.gateway.grpc.v1.ListRequest;
import io.tensorfs.gateway.grpc.v1.MkdirRequest;
import io.tensorfs.gateway.grpc.v1.RenameRequest;
import io.tensorfs.gateway.grpc.v1.RmdirReply;
import io.tensorfs.gateway.grpc.v1.RmdirRequest;
import io.tensorfs.gateway.grpc.v1.SetAttributesRequest;
import io.tensorfs.gateway.grpc.v1.ReadRequest;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.gateway.grpc.v1.Tensorfs;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The gRPC service: a thin adapter from the wire to {@link NodeOperator}, {@link BatchIo} and the
 * node's {@link Hints}, for one {@link Caller}: every path passes {@link Access} before anything is looked
 * up. Failures become gRPC statuses in {@link Errors}. Thread-safe.
 */
public final class TensorfsService implements Tensorfs {
  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final BatchIo batch;
  private final Hints hints;
  private final int inFlightPerStream;
  private final int readChunkBytes;
  private final int chunkSizeBytes;
  private final long maxFileBytes;
  private final Caller caller;
  private final LocalAttach local;
  private final KvCalls kv;

  /**
   * @param caller who every call of this instance acts as (authenticated by the gateway)
   * @param local  what AttachLocal calls; a channel it attaches runs its requests as {@code caller}
   */
  public TensorfsService(ActorSystem<?> system, NodeOperator files, BatchIo batch, Hints hints,
      int inFlightPerStream, int readChunkBytes, int chunkSizeBytes, long maxFileBytes, Caller caller,
      LocalAttach local) {
    this.caller = caller;
    this.local = local;
    this.system = system;
    this.files = files;
    this.batch = batch;
    this.hints = hints;
    this.inFlightPerStream = inFlightPerStream;
    this.readChunkBytes = readChunkBytes;
    this.chunkSizeBytes = chunkSizeBytes;
    this.maxFileBytes = maxFileBytes;
    this.kv = new KvCalls(files.kv(), batch, caller);
  }

  /** At most {@code inFlightPerStream} submissions run at once; the stream reads no more meanwhile. */
  @Override
  public Source<Completion, NotUsed> batch(Source<Submission, NotUsed> in) {
    return in.mapAsyncUnordered(inFlightPerStream, s -> {
      try {
        allowed(s.getPath(), s.getOp() == io.tensorfs.gateway.grpc.v1.Op.PWRITEV ? Operation.WRITE : Operation.READ);
      } catch (RuntimeException e) {
        return CompletableFuture.completedFuture(Errors.completion(s.getId(), e));
      }
      return batch.run(s);
    });
  }

  /** A file's version, or a directory's facts ({@code is_dir}) when no file has that name. */
  @Override
  public CompletionStage<FileInfo> stat(StatRequest in) {
    return attempt(() -> {
      TfsPath path = allowed(in.getPath(), Operation.READ);
      if (path.isRoot()) return files.statDir(path).thenApply(Wire::dirInfo);
      return files.stat(path).thenApply(Wire::fileInfo).handle((info, failure) -> {
        if (failure == null) return CompletableFuture.completedFuture(info);
        Throwable cause = Failures.unwrap(failure);
        if (TfsException.codeOf(cause) != ErrorCode.NOT_FOUND) return CompletableFuture.<FileInfo>failedFuture(cause);
        return files.statDir(path).thenApply(Wire::dirInfo).exceptionally(e -> {
          // Not a directory either (no name, or a file's name with no version yet): the file's NOT_FOUND says so.
          throw new java.util.concurrent.CompletionException(notADirectory(e) ? cause : Failures.unwrap(e));
        });
      }).thenCompose(x -> x);
    });
  }

  @Override
  public CompletionStage<FileInfo> mkdir(MkdirRequest in) {
    return attempt(() -> {
      TfsPath dir = allowed(in.getPath(), Operation.WRITE);
      FileAttributes attributes = Wire.dirAttributes(in);
      return files.mkdir(dir, attributes).thenCompose(v -> files.statDir(dir)).thenApply(Wire::dirInfo);
    });
  }

  @Override
  public CompletionStage<RmdirReply> rmdir(RmdirRequest in) {
    return attempt(() -> files.rmdir(allowed(in.getPath(), Operation.DELETE))
        .thenApply(v -> RmdirReply.getDefaultInstance()));
  }

  /** A file is renamed as one; a directory (no file of that name) moves entry by entry. */
  @Override
  public CompletionStage<FileInfo> rename(RenameRequest in) {
    return attempt(() -> {
      TfsPath from = allowed(in.getFrom(), Operation.DELETE);
      TfsPath to = allowed(in.getTo(), Operation.WRITE);
      Precondition onTarget = Wire.precondition(in.getPrecondition());
      return files.stat(from).handle((v, failure) -> {
        if (failure == null) return files.rename(from, to, onTarget).thenApply(Wire::fileInfo);
        Throwable cause = Failures.unwrap(failure);
        if (TfsException.codeOf(cause) != ErrorCode.NOT_FOUND) return CompletableFuture.<FileInfo>failedFuture(cause);
        return files.statDir(from)
            .thenCompose(dir -> files.renameDir(from, to))
            .thenCompose(n -> files.statDir(to))
            .thenApply(Wire::dirInfo);
      }).thenCompose(x -> x);
    });
  }

  /** A file's attributes, or a directory's when no file has that name. */
  @Override
  public CompletionStage<FileInfo> setAttributes(SetAttributesRequest in) {
    return attempt(() -> {
      TfsPath path = allowed(in.getPath(), Operation.WRITE);
      AttributeChange change = Wire.change(in);
      if (path.isRoot()) return files.setDirAttributes(path, change).thenApply(Wire::dirInfo);
      return files.setAttributes(path, change).thenApply(Wire::fileInfo).handle((info, failure) -> {
        if (failure == null) return CompletableFuture.completedFuture(info);
        Throwable cause = Failures.unwrap(failure);
        if (TfsException.codeOf(cause) != ErrorCode.NOT_FOUND) return CompletableFuture.<FileInfo>failedFuture(cause);
        return files.setDirAttributes(path, change).thenApply(Wire::dirInfo).exceptionally(e -> {
          throw new java.util.concurrent.CompletionException(notADirectory(e) ? cause : Failures.unwrap(e));
        });
      }).thenCompose(x -> x);
    });
  }

  @Override
  public CompletionStage<ListReply> list(ListRequest in) {
    return attempt(() -> {
      TfsPath dir = allowed(in.getPath(), Operation.LIST);
      int limit = in.getLimit() == 0 ? Metadata.Page.DEFAULT_LIMIT : in.getLimit();
      if (limit > Metadata.Page.MAX_LIMIT) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "limit must be 1.." + Metadata.Page.MAX_LIMIT + ", not " + limit);
      }
      return files.listVersions(dir, PageToken.nameOf(in.getPageToken()), limit).thenApply(Wire::listing);
    });
  }

  @Override
  public CompletionStage<DeleteTreeReply> deleteTree(DeleteTreeRequest in) {
    return attempt(() -> {
      TfsPath dir = allowed(in.getPath(), Operation.DELETE);
      if (dir.isRoot()) throw new TfsException(ErrorCode.BAD_REQUEST, "the root cannot be deleted");
      return files.deleteTree(dir).thenApply(n -> DeleteTreeReply.newBuilder().setFilesDeleted(n).build());
    });
  }

  @Override
  public CompletionStage<DeleteReply> delete(DeleteRequest in) {
    return attempt(() -> files.delete(allowed(in.getPath(), Operation.DELETE), Wire.precondition(in.getPrecondition()))
        .thenApply(v -> DeleteReply.newBuilder().setVersion(v.version()).build()));
  }

  @Override
  public CompletionStage<HintReply> hint(HintRequest in) {
    return attempt(() -> {
      String op = switch (in.getOp()) {
        case WILLNEED, DONTNEED, PIN, UNPIN -> in.getOp().name().toLowerCase(Locale.ROOT);
        default -> throw new TfsException(ErrorCode.BAD_REQUEST, "a hint needs an op: WILLNEED, DONTNEED, PIN or UNPIN");
      };
      TfsPath path = allowed(in.getPath(), Operation.of(HintOp.parse(op)));
      return hints.apply(path, op).thenApply(what -> HintReply.newBuilder().setMessage(what).build());
    });
  }

  @Override
  public Source<Chunk, NotUsed> read(ReadRequest in) {
    return Source.completionStage(attempt(() -> files.statForRead(allowed(in.getPath(), Operation.READ))))
        .flatMapConcat(v -> {
          long first = in.getOffset();
          if (first < 0 || first >= v.size()) return Source.<ByteString>empty();
          long left = v.size() - first;
          long length = in.getLength() == 0 || in.getLength() < 0 ? left : Math.min(in.getLength(), left);
          return files.read(v, first, length);
        })
        .mapConcat(this::pieces)
        .map(bytes -> Chunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(bytes.toArrayUnsafe())).build());
  }

  @Override
  public CompletionStage<FileInfo> write(Source<WriteChunk, NotUsed> in) {
    return in.prefixAndTail(1)
        .runWith(org.apache.pekko.stream.javadsl.Sink.head(), system)
        .thenCompose(headAndTail -> {
          List<WriteChunk> head = headAndTail.first();
          if (head.isEmpty()) {
            throw new TfsException(ErrorCode.BAD_REQUEST, "a write needs at least one message naming its path");
          }
          WriteChunk first = head.get(0);
          TfsPath path = allowed(first.getPath(), Operation.WRITE);
          Policy policy = Policy.parse(first.getPolicy());
          Precondition precondition = Wire.precondition(first.getPrecondition());
          Source<ByteString, NotUsed> body = Source.single(first).concat(headAndTail.second())
              .map(c -> ByteString.fromArrayUnsafe(c.getData().toByteArray()));
          FileAttributes attributes = Wire.attributes(first);
          return files.put(path, policy, chunkSizeBytes, precondition, OptionalLong.empty(), maxFileBytes, attributes,
              body);
        })
        .thenApply(Wire::fileInfo);
  }

  @Override
  public CompletionStage<io.tensorfs.gateway.grpc.v1.KvReply> kvPut(io.tensorfs.gateway.grpc.v1.KvPutRequest in) {
    return attempt(() -> kv.put(in));
  }

  @Override
  public CompletionStage<io.tensorfs.gateway.grpc.v1.KvGetReply> kvGet(io.tensorfs.gateway.grpc.v1.KvGetRequest in) {
    return attempt(() -> kv.get(in));
  }

  @Override
  public CompletionStage<io.tensorfs.gateway.grpc.v1.KvExistsReply> kvExists(io.tensorfs.gateway.grpc.v1.KvKeys in) {
    return attempt(() -> kv.exists(in));
  }

  @Override
  public CompletionStage<io.tensorfs.gateway.grpc.v1.KvReply> kvRemove(io.tensorfs.gateway.grpc.v1.KvKeys in) {
    return attempt(() -> kv.remove(in));
  }

  @Override
  public CompletionStage<io.tensorfs.gateway.grpc.v1.AttachLocalReply> attachLocal(io.tensorfs.gateway.grpc.v1.AttachLocalRequest in) {
    return attempt(() -> local.attach(caller, in));
  }

  private List<ByteString> pieces(ByteString bytes) {
    if (bytes.size() <= readChunkBytes) return List.of(bytes);
    List<ByteString> out = new ArrayList<>();
    for (int pos = 0; pos < bytes.size(); pos += readChunkBytes) {
      out.add(bytes.slice(pos, Math.min(bytes.size(), pos + readChunkBytes)));
    }
    return out;
  }

  /** A directory call's failure that says there is no directory of that name (none, or a file's name). */
  private static boolean notADirectory(Throwable failure) {
    ErrorCode code = TfsException.codeOf(Failures.unwrap(failure));
    return code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT;
  }

  /** The path named {@code text}, once {@link Access} allows {@code op} on it (FORBIDDEN otherwise). */
  private TfsPath allowed(String text, Operation op) {
    TfsPath path = TfsPath.parse(text);
    Access.check(caller, op, path);
    return path;
  }

  /** Runs {@code call}, turning what it throws into a failed stage. */
  private static <T> CompletionStage<T> attempt(Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
