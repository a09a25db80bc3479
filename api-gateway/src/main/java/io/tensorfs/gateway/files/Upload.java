package io.tensorfs.gateway.files;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.FileVersion.ChunkInfo;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;

/**
 * The write path of one file version: each chunk is placed by its entity, written to every chosen
 * replica, then committed; the file is sealed once every chunk is committed.
 *
 * <p>Driven by one stream through {@code mapAsync(1)}: {@link #accept} is never called again before
 * the stage it returned completes, which is what makes the plain fields safe and what gives the
 * upload its backpressure. Chunk commits run behind the stream and are awaited at {@link #finish}.
 */
final class Upload {
  private final Metadata metadata;
  private final Function<String, ChunkStore> storeById;
  private final WriterFactory writerFactory;
  private final List<ReplicaLocation> candidates;
  private final TfsPath path;
  private final FileId fileId;
  private final Policy policy;
  private final boolean createOnly;

  private int chunkIndex = -1;
  private List<ChunkWriter> writers = List.of();
  private List<ReplicaLocation> placed = List.of();
  private final List<CompletableFuture<ChunkInfo>> commits = new ArrayList<>();
  private long sizeBytes;

  /** Opens the writer of one replica: the store's own, or the cache's for write-back policies. */
  interface WriterFactory {
    ChunkWriter open(ChunkId chunk, TfsPath owner, ReplicaLocation at, Policy policy);
  }

  Upload(Metadata metadata, Function<String, ChunkStore> storeById, WriterFactory writerFactory,
      List<ReplicaLocation> candidates, TfsPath path, FileId fileId, Policy policy, boolean createOnly) {
    this.metadata = metadata;
    this.storeById = storeById;
    this.writerFactory = writerFactory;
    this.candidates = candidates;
    this.path = path;
    this.fileId = fileId;
    this.policy = policy;
    this.createOnly = createOnly;
  }

  FileId fileId() {
    return fileId;
  }

  /** Writes a batch of pieces in order. */
  CompletionStage<Done> acceptAll(List<Piece> pieces) {
    CompletionStage<Done> done = accept(pieces.get(0));
    for (int i = 1; i < pieces.size(); i++) {
      Piece next = pieces.get(i);
      done = done.thenCompose(d -> accept(next));
    }
    return done;
  }

  CompletionStage<Done> accept(Piece piece) {
    if (piece.chunkIndex() == chunkIndex) return append(piece);
    return closeChunk().thenCompose(d -> openChunk(piece.chunkIndex())).thenCompose(d -> append(piece));
  }

  /** Closes the last chunk, waits for every commit, and seals the file. */
  CompletionStage<Metadata.Sealed> finish() {
    return closeChunk()
        .thenCompose(d -> CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)))
        .thenCompose(d -> {
          List<ChunkInfo> chunks = commits.stream().map(f -> f.getNow(null)).toList(); // all complete here: never blocks
          int crc = 0;
          for (ChunkInfo c : chunks) crc = Crc32c.combine(crc, c.crc32c(), c.lengthBytes());
          return metadata.seal(path, fileId, sizeBytes, chunks, crc, createOnly);
        });
  }

  /** Drops what was written; the upload's metadata is abandoned. Completes when the bytes are gone. */
  CompletionStage<Done> abort() {
    List<CompletableFuture<Done>> steps = new ArrayList<>();
    for (ChunkWriter w : writers) steps.add(w.abort().toCompletableFuture());
    writers = List.of();
    return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new))
        .handle((v, e) -> null)
        .thenCompose(v -> metadata.abortUpload(path, fileId).handle((x, e) -> null))
        .thenCompose(v -> deleteEverywhere())
        .thenApply(v -> Done.getInstance());
  }

  private CompletionStage<Void> deleteEverywhere() {
    List<CompletableFuture<Done>> deletes = new ArrayList<>();
    for (ReplicaLocation c : candidates) {
      deletes.add(storeById.apply(c.store()).deleteFile(fileId).toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).handle((v, e) -> null);
  }

  private CompletionStage<Done> openChunk(int index) {
    chunkIndex = index;
    ChunkId chunk = new ChunkId(fileId, index);
    return metadata.allocateChunk(chunk, policy, candidates).thenApply(replicas -> {
      if (replicas.isEmpty()) throw new TfsException(ErrorCode.NO_SPACE, "no store can take chunk " + chunk);
      placed = replicas;
      List<ChunkWriter> opened = new ArrayList<>(replicas.size());
      for (ReplicaLocation r : replicas) opened.add(writerFactory.open(chunk, path, r, policy));
      writers = opened;
      return Done.getInstance();
    });
  }

  private CompletionStage<Done> append(Piece piece) {
    sizeBytes += piece.bytes().size();
    if (writers.size() == 1) return writers.get(0).append(piece.bytes());
    CompletableFuture<?>[] all = new CompletableFuture[writers.size()];
    for (int i = 0; i < all.length; i++) all[i] = writers.get(i).append(piece.bytes()).toCompletableFuture();
    return CompletableFuture.allOf(all).thenApply(v -> Done.getInstance());
  }

  /** Finishes the open chunk's replicas and starts its commit; the commit is awaited at finish. */
  private CompletionStage<Done> closeChunk() {
    if (writers.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
    List<CompletableFuture<WrittenReplica>> finished = new ArrayList<>();
    for (ChunkWriter w : writers) finished.add(w.finish().toCompletableFuture());
    ChunkId chunk = new ChunkId(fileId, chunkIndex);
    List<ReplicaLocation> locations = placed;
    writers = List.of();
    return CompletableFuture.allOf(finished.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<WrittenReplica> replicas = finished.stream().map(f -> f.getNow(null)).toList(); // all complete here: never blocks
      WrittenReplica first = replicas.get(0);
      for (WrittenReplica r : replicas) {
        if (r.lengthBytes() != first.lengthBytes() || r.crc32c() != first.crc32c()) {
          throw new TfsException(ErrorCode.IO_ERROR, "replicas of " + chunk + " disagree");
        }
      }
      commits.add(metadata.commitChunk(chunk, first.lengthBytes(), first.crc32c(), locations)
          .thenApply(x -> new ChunkInfo(first.lengthBytes(), first.crc32c()))
          .toCompletableFuture());
      return Done.getInstance();
    });
  }
}
