package io.tensorfs.gateway.files;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.StoreActor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations of one node, shared by every edge (HTTP now, gRPC next): streamed put and get
 * over the local stores, stat, list and delete over the metadata. Thread-safe; holds no per-request
 * state. Bytes flow in streams straight between the edge and the stores; only control goes to actors.
 */
public final class FileOperations {
  private static final Logger log = LoggerFactory.getLogger(FileOperations.class);

  private final ActorSystem<?> system;
  private final Metadata metadata;
  private final String nodeId;
  private final Map<String, ChunkStore> stores;
  private final Map<String, ActorRef<StoreActor.Command>> storeActors;
  private final ReadLeases leases;
  private final int readSegmentBytes;
  private final int readAheadSegments;
  private final int writeBatchBytes;

  public FileOperations(ActorSystem<?> system, Metadata metadata, String nodeId, List<ChunkStore> stores,
      Map<String, ActorRef<StoreActor.Command>> storeActors, ReadLeases leases, int readSegmentBytes,
      int readAheadSegments, int writeBatchBytes) {
    this.system = system;
    this.metadata = metadata;
    this.nodeId = nodeId;
    Map<String, ChunkStore> byId = new java.util.LinkedHashMap<>();
    for (ChunkStore s : stores) byId.put(s.id(), s);
    this.stores = Map.copyOf(byId);
    this.storeActors = Map.copyOf(storeActors);
    this.leases = leases;
    this.readSegmentBytes = readSegmentBytes;
    this.readAheadSegments = readAheadSegments;
    this.writeBatchBytes = writeBatchBytes;
  }

  public Metadata metadata() {
    return metadata;
  }

  /**
   * Writes {@code body} as the new version of {@code path}. The version becomes visible only when
   * sealed, atomically replacing the one before; on any failure nothing is visible and the bytes
   * written so far are removed.
   */
  public CompletionStage<FileVersion> put(TfsPath path, Policy policy, int chunkSizeBytes, boolean createOnly,
      OptionalLong declaredBytes, long maxBytes, Source<ByteString, ?> body) {
    if (path.isRoot()) return failed(ErrorCode.BAD_PATH, "cannot write the root");
    if (declaredBytes.isPresent() && declaredBytes.getAsLong() > maxBytes) {
      return failed(ErrorCode.TOO_LARGE, declaredBytes.getAsLong() + " bytes is more than the limit of " + maxBytes);
    }
    List<ReplicaLocation> candidates = candidatesFor(declaredBytes.orElse(0));
    if (candidates.isEmpty()) {
      return failed(ErrorCode.NO_SPACE, "no store has room for " + declaredBytes.orElse(0) + " bytes");
    }
    Function<String, ChunkStore> storeById = stores::get;
    return metadata.beginUpload(path, policy, chunkSizeBytes, createOnly).thenCompose(fileId -> {
      Upload upload = new Upload(metadata, storeById, candidates, path, fileId, policy, createOnly);
      return body
          .via(ChunkCutter.flow(chunkSizeBytes, maxBytes, writeBatchBytes))
          .mapAsync(1, upload::acceptAll)
          .runWith(Sink.ignore(), system)
          .thenCompose(done -> upload.finish())
          .handle((sealed, error) -> {
            if (error == null) return CompletableFuture.completedFuture(sealed);
            return upload.abort().thenCompose(d -> CompletableFuture.<Metadata.Sealed>failedFuture(error));
          })
          .thenCompose(stage -> stage)
          .thenApply(sealed -> {
            sealed.replaced().ifPresent(old -> collect(old.fileId()));
            return sealed.current();
          });
    });
  }

  /** The visible version of a file. */
  public CompletionStage<FileVersion> stat(TfsPath path) {
    return metadata.stat(path);
  }

  /** The visible version and each chunk's replicas. */
  public CompletionStage<Pair<FileVersion, List<ChunkStatus>>> statWithChunks(TfsPath path) {
    return metadata.stat(path).thenCompose(v -> {
      List<CompletableFuture<ChunkStatus>> all = new ArrayList<>();
      for (int i = 0; i < v.chunks().size(); i++) {
        all.add(metadata.chunk(new ChunkId(v.fileId(), i)).toCompletableFuture());
      }
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .thenApply(x -> Pair.create(v, all.stream().map(f -> f.getNow(null)).toList()));
    });
  }

  public CompletionStage<List<DirEntry>> list(TfsPath dir) {
    return metadata.list(dir);
  }

  /** Deletes the visible version; its bytes are collected once its readers are done. */
  public CompletionStage<FileVersion> delete(TfsPath path) {
    return metadata.delete(path).thenApply(v -> {
      collect(v.fileId());
      return v;
    });
  }

  /**
   * The bytes {@code [first, first+length)} of a sealed version, verified block by block on the way
   * out. The version's bytes are leased while the stream runs, so a concurrent overwrite or delete
   * does not remove them; a corrupt block with no good replica fails the stream.
   */
  public Source<ByteString, NotUsed> read(FileVersion v, long first, long length) {
    return Source.fromMaterializer((mat, attrs) -> {
      ReadLeases.Lease lease = leases.acquire(v.fileId());
      return Source.from(spans(v, first, length))
          .flatMapConcat(this::chunkBytes)
          .watchTermination((m, done) -> {
            done.whenComplete((d, e) -> lease.close());
            return m;
          });
    }).mapMaterializedValue(f -> NotUsed.getInstance());
  }

  private List<Span> spans(FileVersion v, long first, long length) {
    List<Span> out = new ArrayList<>();
    long chunkSize = v.chunkSizeBytes();
    long pos = first;
    long end = first + length;
    while (pos < end) {
      int index = (int) (pos / chunkSize);
      long inChunk = pos - index * chunkSize;
      long take = Math.min(end - pos, v.chunks().get(index).lengthBytes() - inChunk);
      if (take <= 0) break;
      out.add(new Span(new ChunkId(v.fileId(), index), inChunk, take));
      pos += take;
    }
    return out;
  }

  private Source<ByteString, NotUsed> chunkBytes(Span span) {
    return Source.completionStage(metadata.chunk(span.chunk()))
        .flatMapConcat(status -> {
          List<ChunkStore> replicas = localReplicas(status);
          if (replicas.isEmpty()) {
            return Source.failed(new TfsException(ErrorCode.UNAVAILABLE, "no readable replica of " + span.chunk()));
          }
          List<long[]> segments = new ArrayList<>();
          for (long pos = span.offset(), end = span.offset() + span.length(); pos < end; pos += readSegmentBytes) {
            segments.add(new long[] {pos, Math.min(readSegmentBytes, end - pos)});
          }
          return Source.from(segments).mapAsync(readAheadSegments, seg ->
              readFrom(replicas, 0, span.chunk(), seg[0], (int) seg[1]).thenApply(bytes -> {
                if (bytes.size() != seg[1]) {
                  throw new TfsException(ErrorCode.IO_ERROR, "replica of " + span.chunk() + " is short at " + seg[0]);
                }
                return bytes;
              }));
        });
  }

  /** Reads from the replicas in turn: a corrupt or missing replica hands over to the next one. */
  private CompletionStage<ByteString> readFrom(List<ChunkStore> replicas, int i, ChunkId chunk, long pos, int n) {
    return replicas.get(i).read(chunk, pos, n).handle((bytes, error) -> {
      if (error == null) return CompletableFuture.completedFuture(bytes);
      if (i + 1 >= replicas.size()) return CompletableFuture.<ByteString>failedFuture(error);
      log.warn("replica {} of {} failed at offset {}: {}; trying the next", replicas.get(i).id(), chunk, pos,
          error.getMessage());
      return readFrom(replicas, i + 1, chunk, pos, n);
    }).thenCompose(s -> s);
  }

  private List<ChunkStore> localReplicas(ChunkStatus status) {
    List<ChunkStore> out = new ArrayList<>();
    for (ReplicaLocation r : status.clean()) {
      if (r.node().equals(nodeId) && stores.containsKey(r.store())) out.add(stores.get(r.store()));
    }
    return out;
  }

  private List<ReplicaLocation> candidatesFor(long bytes) {
    List<ReplicaLocation> out = new ArrayList<>();
    for (ChunkStore s : stores.values()) {
      if (s.usableBytes() >= bytes) out.add(new ReplicaLocation(nodeId, s.id()));
    }
    return out;
  }

  private void collect(FileId old) {
    for (var actor : storeActors.values()) {
      actor.tell(new StoreActor.CollectFile(old, system.ignoreRef()));
    }
  }

  private static <T> CompletionStage<T> failed(ErrorCode code, String message) {
    return CompletableFuture.failedFuture(new TfsException(code, message));
  }

  private record Span(ChunkId chunk, long offset, long length) {}
}
