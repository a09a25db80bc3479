package io.tensorfs.sharding.operator.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.FileVersion.ChunkInfo;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.placement.PlacementPolicy;
import io.tensorfs.sharding.replication.ReplicaChain;
import io.tensorfs.store.ChunkStore;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;

/**
 * The write path of one file version: each chunk is placed by its entity, written along its replica
 * chain (this node's replicas here, the others pushed head to tail over the transport), then committed
 * with the replicas the chain reported durable; the file is sealed once every chunk is committed.
 *
 * <p>The acknowledgment rule: a chunk is committed only when its replicas are durable on at least
 * {@code minInsync} distinct nodes (the policy's min-insync as capped for this cluster, see
 * {@link Policy#effectiveMinInsync}; nodes, because two replicas on one node do not survive that node's
 * loss). A replica lost mid-write (its node died) is left out of the commit and repaired later as long as
 * that many remain; otherwise the chunk, and so the upload, fails with NOT_ENOUGH_REPLICAS and the caller
 * aborts it (nothing visible, the bytes removed). A chunk whose placement already names fewer nodes fails
 * the same way before any byte is written.
 *
 * <p>Driven by one stream through {@code mapAsync(1)}: {@link #accept} is never called again before
 * the stage it returned completes, which is what makes the plain fields safe and what gives the
 * upload its backpressure. The chunks are pipelined: while a chunk's replicas make it durable and its
 * commit is recorded, the next chunk already streams (at most {@link #FINISHING_AHEAD} chunks finish
 * behind the stream), and when the body's length is known, the next chunk's placement is asked for
 * while the current one streams. Everything is awaited at {@link #finish}, before the seal.
 *
 * <p>A body declared to fit in one chunk is written in one step ({@link Metadata#prepare}): the chunk is
 * placed here, by the same rule its entity applies, and recorded placed and committed in one journal write,
 * and the upload is recorded and sealed in one more; a larger body takes the steps above, so that its
 * chunks' placements are on record while its bytes stream.
 */
public final class Upload {
  private final Metadata metadata;
  private final Function<String, ChunkStore> storeById;
  private final ChainFactory chains;
  private final List<ReplicaLocation> candidates;
  private final TfsPath path;
  private final FileId fileId;
  private final Policy policy;
  private final int minInsync;
  private final Precondition precondition;
  private final int chunkSizeBytes;
  private final OptionalLong declaredBytes;
  private final boolean oneStep;
  private final long startedAtMillis = System.currentTimeMillis();

  /** Chunks that may be finishing (durable, then committed) behind the one streaming. */
  private static final int FINISHING_AHEAD = 2;

  private int chunkIndex = -1;
  /** The placement of chunk {@code chunkIndex + 1}, asked for ahead; null when not asked. */
  private CompletableFuture<List<ReplicaLocation>> nextPlacement;
  private final java.util.Deque<CompletableFuture<ChunkInfo>> finishing = new java.util.ArrayDeque<>();
  private ReplicaChain chain;
  private final List<ReplicaLocation> placed = new ArrayList<>();
  private final List<CompletableFuture<ChunkInfo>> commits = new ArrayList<>();
  private long sizeBytes;

  /** Opens the replica chain of one chunk; its length is known unless the body's length is not. */
  public interface ChainFactory {
    ReplicaChain open(ChunkId chunk, TfsPath owner, List<ReplicaLocation> hops, Policy policy, OptionalLong lengthBytes);
  }

  /**
   * @param storeById this node's stores, by id
   * @param minInsync the distinct nodes that must hold a chunk durably before it is committed (at least 1)
   * @param declaredBytes the body's length when announced: every chunk's length is then known up front,
   *     and chunks are pushed along their chain as they arrive
   * @param oneStep the upload was named by {@link Metadata#prepare}, not begun: its body fits in one chunk
   *     ({@link #fitsOneChunk}) and is recorded with {@link Metadata#commitNewChunk} and {@link Metadata#sealNew}
   */
  /** What the version carries besides its bytes, recorded at the seal. */
  private final FileAttributes attributes;

  public Upload(Metadata metadata, Function<String, ChunkStore> storeById, ChainFactory chains,
      List<ReplicaLocation> candidates, TfsPath path, FileId fileId, Policy policy, int minInsync,
      Precondition precondition,
      int chunkSizeBytes, OptionalLong declaredBytes, boolean oneStep) {
    this(metadata, storeById, chains, candidates, path, fileId, policy, minInsync, precondition, chunkSizeBytes,
        declaredBytes, oneStep, FileAttributes.defaults());
  }

  /** @param attributes recorded with the version at its seal (mtime 0: the seal time) */
  public Upload(Metadata metadata, Function<String, ChunkStore> storeById, ChainFactory chains,
      List<ReplicaLocation> candidates, TfsPath path, FileId fileId, Policy policy, int minInsync,
      Precondition precondition, int chunkSizeBytes, OptionalLong declaredBytes, boolean oneStep,
      FileAttributes attributes) {
    this.attributes = attributes == null ? FileAttributes.defaults() : attributes;
    if (minInsync < 1) throw new IllegalArgumentException("min-insync " + minInsync + " is below 1");
    this.metadata = metadata;
    this.storeById = storeById;
    this.chains = chains;
    this.candidates = candidates;
    this.path = path;
    this.fileId = fileId;
    this.policy = policy;
    this.minInsync = minInsync;
    this.precondition = precondition;
    this.chunkSizeBytes = chunkSizeBytes;
    this.declaredBytes = declaredBytes;
    this.oneStep = oneStep;
    if (oneStep && !fitsOneChunk(declaredBytes, chunkSizeBytes)) {
      throw new IllegalArgumentException("a one-step upload needs a declared body of at most one chunk");
    }
  }

  /** Whether a body of this declared length is written in one step. */
  public static boolean fitsOneChunk(OptionalLong declaredBytes, int chunkSizeBytes) {
    return declaredBytes.isPresent() && declaredBytes.getAsLong() <= chunkSizeBytes;
  }

  public FileId fileId() {
    return fileId;
  }

  /** Writes a batch of pieces in order. */
  public CompletionStage<Done> acceptAll(List<Piece> pieces) {
    CompletionStage<Done> done = accept(pieces.get(0));
    for (int i = 1; i < pieces.size(); i++) {
      Piece next = pieces.get(i);
      done = done.thenCompose(d -> accept(next));
    }
    return done;
  }

  public CompletionStage<Done> accept(Piece piece) {
    if (piece.chunkIndex() == chunkIndex) return append(piece);
    return closeChunk().thenCompose(d -> openChunk(piece.chunkIndex())).thenCompose(d -> append(piece));
  }

  /** Closes the last chunk, waits for every commit, and seals the file. */
  public CompletionStage<Metadata.Sealed> finish() {
    return closeChunk()
        .thenCompose(d -> CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)))
        .thenCompose(d -> {
          List<ChunkInfo> chunks = commits.stream().map(f -> f.getNow(null)).toList(); // all complete here: never blocks
          int crc = 0;
          for (ChunkInfo c : chunks) crc = Crc32c.combine(crc, c.crc32c(), c.lengthBytes());
          return oneStep
              ? metadata.sealNew(path, fileId, policy, chunkSizeBytes, startedAtMillis, sizeBytes, chunks, crc,
                  precondition, attributes)
              : metadata.seal(path, fileId, sizeBytes, chunks, crc, precondition, attributes);
        });
  }

  /**
   * Drops what was written; the upload's metadata is abandoned. Completes when the bytes are gone, with
   * {@code true} when instead the upload turned out to be the visible version already (its seal was
   * recorded but its answer lost): then nothing is dropped.
   */
  public CompletionStage<Boolean> abort() {
    CompletionStage<Done> dropped = chain == null ? CompletableFuture.completedFuture(Done.getInstance()) : chain.abort();
    chain = null;
    // Chunks still finishing behind the stream end first, so their bytes are there to be deleted.
    CompletableFuture<Void> behind = CompletableFuture.allOf(finishing.toArray(CompletableFuture[]::new));
    return dropped
        .handle((v, e) -> null)
        .thenCompose(v -> behind.handle((x, e) -> null))
        .thenCompose(v -> metadata.abortUpload(path, fileId).handle((current, e) -> e == null && current))
        .thenCompose(current -> current ? CompletableFuture.completedFuture(true)
            : deleteEverywhere().thenApply(v -> false));
  }

  private CompletionStage<Void> deleteEverywhere() {
    List<CompletableFuture<Done>> deletes = new ArrayList<>();
    for (ReplicaLocation c : candidates) {
      ChunkStore local = storeById.apply(c.store());
      if (local != null) deletes.add(local.deleteFile(fileId).toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).handle((v, e) -> null);
  }

  private CompletionStage<Done> openChunk(int index) {
    ChunkId chunk = new ChunkId(fileId, index);
    if (oneStep && index > 0) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST,
          "the body of " + path + " is longer than the " + declaredBytes.getAsLong() + " bytes it declared"));
    }
    CompletableFuture<List<ReplicaLocation>> placement = oneStep
        ? CompletableFuture.completedFuture(PlacementPolicy.choose(candidates, policy.replicas()))
        : nextPlacement != null && index == chunkIndex + 1
        ? nextPlacement
        : metadata.allocateChunk(chunk, policy, candidates).toCompletableFuture();
    chunkIndex = index;
    nextPlacement = null;
    return placement.thenApply(replicas -> {
      if (replicas.isEmpty()) throw new TfsException(ErrorCode.NO_SPACE, "no store can take chunk " + chunk);
      int nodes = distinctNodes(replicas);
      if (nodes < minInsync) {
        throw notEnough(index, nodes, "it could be placed on no more: " + names(replicas)
            + "; the other nodes that can hold replicas are unreachable, leaving or full");
      }
      placed.clear();
      placed.addAll(replicas);
      chain = chains.open(chunk, path, replicas, policy, lengthOf(index));
      if (!oneStep && lengthOf(index + 1).orElse(0) > 0) {
        nextPlacement = metadata.allocateChunk(new ChunkId(fileId, index + 1), policy, candidates).toCompletableFuture();
      }
      return Done.getInstance();
    });
  }

  private OptionalLong lengthOf(int index) {
    if (declaredBytes.isEmpty()) return OptionalLong.empty();
    long start = (long) index * chunkSizeBytes;
    return OptionalLong.of(Math.max(0, Math.min(chunkSizeBytes, declaredBytes.getAsLong() - start)));
  }

  private CompletionStage<Done> append(Piece piece) {
    sizeBytes += piece.bytes().size();
    return chain.append(piece.bytes());
  }

  /**
   * Finishes the open chunk along its chain and then records its commit, behind the stream; waits only
   * when more than {@link #FINISHING_AHEAD} chunks are finishing, for the oldest (failing if it did).
   */
  private CompletionStage<Done> closeChunk() {
    if (chain == null) return CompletableFuture.completedFuture(Done.getInstance());
    ChunkId chunk = new ChunkId(fileId, chunkIndex);
    ReplicaChain closing = chain;
    List<ReplicaLocation> closingPlaced = List.copyOf(placed);
    chain = null;
    CompletableFuture<ChunkInfo> committed = closing.finish().handle((stored, error) -> {
      if (error != null) {
        closing.abort();
        Throwable cause = Failures.unwrap(error);
        ErrorCode code = cause instanceof TfsException t ? t.code() : ErrorCode.UNAVAILABLE;
        throw new TfsException(code, "chunk " + chunk + " could not be stored on any of "
            + closingPlaced + ": " + cause.getMessage(), cause);
      }
      int durable = distinctNodes(stored.durableAt());
      if (durable < minInsync) {
        throw notEnough(chunk.index(), durable, "durable on " + names(stored.durableAt()) + " of " + names(closingPlaced)
            + "; the others dropped out of the chain");
      }
      return stored;
    }).thenCompose(stored -> (oneStep
            ? metadata.commitNewChunk(chunk, policy, closingPlaced, stored.lengthBytes(), stored.crc32c(),
                stored.durableAt())
            : metadata.commitChunk(chunk, stored.lengthBytes(), stored.crc32c(), stored.durableAt()))
        .thenApply(x -> new ChunkInfo(stored.lengthBytes(), stored.crc32c())))
        .toCompletableFuture();
    commits.add(committed);
    finishing.add(committed);
    for (CompletableFuture<ChunkInfo> f : finishing) {
      if (f.isCompletedExceptionally()) return f.thenApply(info -> Done.getInstance()); // fail the upload now
    }
    finishing.removeIf(CompletableFuture::isDone);
    if (finishing.size() <= FINISHING_AHEAD) return CompletableFuture.completedFuture(Done.getInstance());
    return finishing.pollFirst().thenApply(info -> Done.getInstance());
  }

  private TfsException notEnough(int index, int reached, String detail) {
    return new TfsException(ErrorCode.NOT_ENOUGH_REPLICAS, "chunk " + index + " of " + path + " reached " + reached
        + " of the " + minInsync + " durable replicas it needs (" + policy.text() + ", on distinct nodes): " + detail
        + ". The write was abandoned: nothing of it is visible");
  }

  private static int distinctNodes(List<ReplicaLocation> replicas) {
    return (int) replicas.stream().map(ReplicaLocation::node).distinct().count();
  }

  private static String names(List<ReplicaLocation> replicas) {
    return replicas.stream().map(r -> r.node() + "/" + r.store()).toList().toString();
  }
}
