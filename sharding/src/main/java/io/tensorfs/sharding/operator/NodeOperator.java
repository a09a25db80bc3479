package io.tensorfs.sharding.operator;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.sharding.AttributeChange;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.DirInfo;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvNode;
import io.tensorfs.sharding.kv.KvPages;
import io.tensorfs.sharding.kv.ShardedKvBlocks;
import io.tensorfs.sharding.operator.internal.CacheHints;
import io.tensorfs.sharding.operator.internal.ChunkCutter;
import io.tensorfs.sharding.operator.internal.Piece;
import io.tensorfs.sharding.operator.internal.Prefetched;
import io.tensorfs.sharding.operator.internal.QuotaHold;
import io.tensorfs.sharding.operator.internal.Upload;
import io.tensorfs.sharding.replication.NodePlacement;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.RemoteReplicas;
import io.tensorfs.sharding.replication.ReplicaChain;
import io.tensorfs.sharding.replication.Replication;
import io.tensorfs.sharding.tenant.QuotaChange;
import io.tensorfs.sharding.tenant.TenantQuotas;
import io.tensorfs.sharding.tenant.TenantUsage;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ServedBytes;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.cache.CacheActor;
import io.tensorfs.store.cache.CacheStats;
import io.tensorfs.store.cache.CachedChunk;
import io.tensorfs.store.cache.ChunkCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's operator: the one place that knows how this node reads and writes files, called by every
 * edge (HTTP, gRPC, the front door). Streamed put and get, stat, list and delete over the metadata;
 * where a new file's chunks may go; the order in which a chunk's replicas are read (this node's, then
 * the nodes holding it in memory, then the other nodes' durable replicas, going on from the next one
 * where one fails); the writer each policy gets; cache hints; and the collection of replaced versions
 * on every node. Every node serves every file: a chunk with no clean replica here is fetched over the
 * transport into this node's cache pages. Thread-safe; holds no per-request state. Bytes flow in
 * streams straight between the edge, the stores and the transport; only control goes to actors.
 */
public final class NodeOperator {
  private static final Logger log = LoggerFactory.getLogger(NodeOperator.class);
  /** The store named for a node's in-memory replica (a remote read names the node; the store is not used). */
  private static final String MEMORY_STORE = "memory";

  /** Entries a recursive delete reads and deletes at once. */
  private static final int DELETE_TREE_PAGE = 100;

  private final ActorSystem<?> system;
  private final Metadata metadata;
  private final String nodeId;
  private final Map<String, ChunkStore> stores;
  private final Map<String, ActorRef<StoreActor.Command>> storeActors;
  private final ReadLeases leases;
  private final ChunkCache cache;
  private final int readSegmentBytes;
  private final OperatorSettings settings;
  private final Replication replication;
  private final ReadDemandMeter readDemand;
  private final Peers peers;
  private final Materializer materializer;
  private final CacheHints hints;
  /** Where new chunks go: the node's one placement policy over this node's stores and the peers' room. */
  private final NodePlacement placement;
  /** Each tenant's quota and usage: writes reserve in it, seals commit, deletes credit. */
  private final TenantQuotas tenants;
  /** KV-cache blocks: soft metadata in memory, bytes with the node that took the put. */
  private final KvBlocks kv;

  /** A node alone (tests): every replica is on this node, no transport, no elastic replicas. */
  public NodeOperator(ActorSystem<?> system, Metadata metadata, LocalNode local, ChunkCache cache,
      OperatorSettings settings) {
    this(system, metadata, local, cache, alone(system, local), ReadDemandMeter.OFF, settings);
  }

  private static Replication alone(ActorSystem<?> system, LocalNode local) {
    Map<String, ChunkStore> byId = local.storesById();
    return new Replication(new Peers(local.nodeId()), byId::get, Materializer.matFromSystem(system));
  }

  /**
   * @param local       this node's stores, their actors and read leases
   * @param cache       this node's memory cache: every read goes through it
   * @param replication this node's replication chains and its view of the other nodes
   * @param readDemand  counts the reads of {@code cache(min,max)} chunks for their elastic replicas
   */
  public NodeOperator(ActorSystem<?> system, Metadata metadata, LocalNode local, ChunkCache cache,
      Replication replication, ReadDemandMeter readDemand, OperatorSettings settings) {
    ReadsHeld.register();
    this.system = system;
    this.metadata = metadata;
    this.nodeId = local.nodeId();
    this.stores = Map.copyOf(local.storesById());
    this.storeActors = local.storeActors();
    this.leases = local.leases();
    this.cache = cache;
    this.readSegmentBytes = local.readSegmentBytes();
    this.settings = settings;
    this.replication = replication;
    this.readDemand = readDemand;
    this.peers = replication.peers();
    this.placement = new NodePlacement(peers, local.stores());
    this.materializer = Materializer.matFromSystem(system);
    this.hints = new CacheHints(system, this, cache, settings.hintTimeout(), settings.findTimeout());
    this.tenants = new TenantQuotas(system);
    KvNode kvNode = KvNode.get(system);
    kvNode.usePages(new KvPages() {
      @Override public int pageBytes() { return cache.pool().pageBytes(); }
      @Override public io.tensorfs.core.memory.Page take() { return cache.lendPage(); }
    });
    this.kv = new ShardedKvBlocks(kvNode, peers, materializer);
  }

  public String nodeId() {
    return nodeId;
  }

  /** The KV-cache blocks of every tenant (see {@link KvBlocks}). */
  public KvBlocks kv() {
    return kv;
  }

  /** The pages of this node's cache, for edges that stage bytes in pinned memory. */
  public PagePool pages() {
    return cache.pool();
  }

  /** This node's cache figures, read directly. */
  public CacheStats localCacheStats() {
    return hints.localStats();
  }

  /** Every node's cache figures. */
  public CompletionStage<List<CacheActor.Stats>> cacheStats() {
    return hints.stats();
  }

  /** Applies a cache hint to the file at {@code path}, or to every file under it when it is a directory. */
  public CompletionStage<HintResult> hint(TfsPath path, HintOp op) {
    return hints.apply(path, op);
  }

  /**
   * The replica file of {@code chunk} on this node's disks, for reads that bypass the cache (cuFile
   * straight into GPU memory); UNAVAILABLE when this node holds no clean replica of it.
   *
   * @param blocking runs the look at the file system
   */
  public CompletionStage<Path> localReplicaFile(ChunkId chunk, TfsPath path, Executor blocking) {
    return metadata.chunk(chunk).thenApplyAsync(status -> {
      for (ReplicaLocation r : status.clean()) {
        if (!r.node().equals(nodeId) || !stores.containsKey(r.store())) continue;
        Optional<Path> file = stores.get(r.store()).dataFile(chunk);
        if (file.isPresent()) return file.get();
      }
      throw new TfsException(ErrorCode.UNAVAILABLE, "FLAG_CUFILE reads replicas on this node's disks only, and "
          + chunk + " of " + path + " has none here (clean replicas: " + status.clean() + ")");
    }, blocking);
  }

  /**
   * Writes {@code body} as the new version of {@code path}. The version becomes visible only when
   * sealed, atomically replacing the one before; on any failure nothing is visible and the bytes
   * written so far are removed, on this node at once and on the others by the stores' collection (when
   * the write is refused while its body streams in, behind the answer, which goes out at once). A
   * durable chunk is committed only once {@link #minInsync} distinct nodes hold it durably, else the write
   * fails with NOT_ENOUGH_REPLICAS; the count is taken when the write begins.
   *
   * @param precondition on the version this one replaces (RFC 9110 If-Match / If-None-Match), checked
   *     before any byte is written and again, atomically, at the seal: PRECONDITION_FAILED when it does
   *     not hold. {@link Precondition#NONE}: none; {@link Precondition#CREATE_ONLY}: the path must not exist.
   */
  public CompletionStage<FileVersion> put(TfsPath path, Policy policy, int chunkSizeBytes, Precondition precondition,
      OptionalLong declaredBytes, long maxBytes, Source<ByteString, ?> body) {
    return put(path, policy, chunkSizeBytes, precondition, declaredBytes, maxBytes, FileAttributes.defaults(), body);
  }

  /**
   * {@link #put} recording {@code attributes} with the new version (mode, owner, content type, the MD5 the
   * writer computed, user metadata; an mtime of 0 means the seal time).
   */
  public CompletionStage<FileVersion> put(TfsPath path, Policy policy, int chunkSizeBytes, Precondition precondition,
      OptionalLong declaredBytes, long maxBytes, FileAttributes attributes, Source<ByteString, ?> body) {
    return put(path, policy, chunkSizeBytes, precondition, declaredBytes, maxBytes, () -> attributes, body);
  }

  /**
   * {@link #put} whose attributes are asked for when the version is sealed, once its body was read whole: for
   * a writer that computes one from the bytes (S3's ETag, the MD5). A body that fails fails the put first.
   */
  public CompletionStage<FileVersion> put(TfsPath path, Policy policy, int chunkSizeBytes, Precondition precondition,
      OptionalLong declaredBytes, long maxBytes, java.util.function.Supplier<FileAttributes> attributesAtSeal,
      Source<ByteString, ?> body) {
    if (ReservedPaths.isReserved(path)) return CompletableFuture.failedFuture(ReservedPaths.refusal(path, "write"));
    return write(path, policy, chunkSizeBytes, precondition, declaredBytes, maxBytes, attributesAtSeal, body);
  }

  /**
   * {@link #put} of a path under a reserved {@code .checkpoints} directory: for the checkpoint operator
   * only, which keeps what such files mean. Other paths are BAD_PATH here.
   */
  public CompletionStage<FileVersion> putReserved(TfsPath path, Policy policy, int chunkSizeBytes,
      OptionalLong declaredBytes, long maxBytes, Source<ByteString, ?> body) {
    if (!ReservedPaths.isReserved(path)) return failed(ErrorCode.BAD_PATH, path + " is not a reserved path");
    return write(path, policy, chunkSizeBytes, Precondition.NONE, declaredBytes, maxBytes, FileAttributes::defaults,
        body);
  }

  private CompletionStage<FileVersion> write(TfsPath path, Policy policy, int chunkSizeBytes, Precondition precondition,
      OptionalLong declaredBytes, long maxBytes, java.util.function.Supplier<FileAttributes> attributes,
      Source<ByteString, ?> body) {
    if (path.isRoot()) return failed(ErrorCode.BAD_PATH, "cannot write the root");
    if (declaredBytes.isPresent() && declaredBytes.getAsLong() > maxBytes) {
      return failed(ErrorCode.TOO_LARGE, declaredBytes.getAsLong() + " bytes is more than the limit of " + maxBytes);
    }
    List<ReplicaLocation> candidates = placement.candidates(declaredBytes.orElse(0), policy);
    if (candidates.isEmpty()) {
      return failed(ErrorCode.NO_SPACE, "no store has room for " + declaredBytes.orElse(0) + " bytes");
    }
    Function<String, ChunkStore> storeById = stores::get;
    int minInsync = minInsync(policy);
    boolean oneStep = Upload.fitsOneChunk(declaredBytes, chunkSizeBytes);
    CompletionStage<Metadata.Begun> begin = oneStep
        ? metadata.prepare(path, precondition)
        : metadata.begin(path, policy, chunkSizeBytes, precondition);
    return begin.thenCompose(begun -> {
      FileId fileId = begun.fileId();
      Upload upload = new Upload(metadata, storeById, this::openChain, candidates, path, fileId, policy, minInsync,
          precondition, chunkSizeBytes, declaredBytes, oneStep, attributes);
      // The quota is asked before any byte is read: a declared length over it is refused at once.
      QuotaHold hold = new QuotaHold(tenants, TenantQuotas.tenantOf(path), fileId.toString(),
          begun.replaces() ? 0 : 1, declaredBytes);
      return hold.start().handle((d, refused) -> refused == null
          ? stream(path, upload, hold, chunkSizeBytes, maxBytes, body)
          : abandon(upload, hold).thenCompose(x -> CompletableFuture.<FileVersion>failedFuture(Failures.unwrap(refused))))
          .thenCompose(stage -> stage);
    });
  }

  /** Streams the body into the upload, covered piece by piece by its quota reservation, then seals it. */
  private CompletionStage<FileVersion> stream(TfsPath path, Upload upload, QuotaHold hold, int chunkSizeBytes,
      long maxBytes, Source<ByteString, ?> body) {
    FileId fileId = upload.fileId();
    CompletionStage<Done> streamed = body
        .via(ChunkCutter.flow(chunkSizeBytes, maxBytes, settings.writeBatchBytes()))
        .mapAsync(1, pieces -> hold.cover(sizeOf(pieces)).thenCompose(d -> upload.acceptAll(pieces)))
        .runWith(Sink.ignore(), system);
    return streamed.handle((done, bodyFailure) -> {
      if (bodyFailure != null) {
        // Refused while the body streams in (no space, no quota, too few replicas, a bad body): the answer
        // goes out once the quota reservation is released (a retry finds the room free) and the bytes are
        // removed behind it. An HTTP client whose body was cut off gets its answer only while the
        // connection still waits for one.
        CompletionStage<TenantUsage> released = hold.release();
        abandon(upload, hold);
        return released.handle((u, e) -> e).thenCompose(e -> {
          if (e != null) log.debug("releasing the reservation of {} failed (it lapses): {}", fileId, e.toString());
          return CompletableFuture.<FileVersion>failedFuture(bodyFailure);
        });
      }
      return hold.renewIfStale().thenCompose(d -> upload.finish()).handle((sealed, error) -> {
        if (error == null) {
          sealed.replaced().ifPresent(old -> collect(old.fileId()));
          return counted(hold.commit(sealed.current(), sealed.replaced()), sealed.current());
        }
        return abandon(upload, hold).thenCompose(current -> current
            ? visibleOrFailed(path, fileId, hold, error) : CompletableFuture.<FileVersion>failedFuture(error));
      }).thenCompose(stage -> stage);
    }).thenCompose(stage -> stage);
  }

  private static long sizeOf(List<Piece> pieces) {
    long n = 0;
    for (var p : pieces) n += p.bytes().size();
    return n;
  }

  /**
   * The sealed version, once its tenant's usage counts it. A usage that cannot be recorded does not fail
   * the write (its bytes are visible and acknowledged); its reservation then lapses and a rescan corrects it.
   */
  private static CompletionStage<FileVersion> counted(CompletionStage<TenantUsage> usage, FileVersion v) {
    return usage.handle((u, e) -> {
      if (e != null) log.warn("the usage of {} does not count {} ({} bytes): {}", v.path(), v.version(), v.size(),
          Failures.unwrap(e).getMessage());
      return v;
    });
  }

  /**
   * Drops a failed upload's bytes everywhere and its quota reservation; {@code true} when it turned out
   * sealed (nothing dropped, the reservation kept for its commit).
   */
  private CompletionStage<Boolean> abandon(Upload upload, QuotaHold hold) {
    FileId fileId = upload.fileId();
    return upload.abort().thenApply(current -> {
      if (!current) {
        cache.drop(fileId);
        collectElsewhere(fileId); // replicas the chain finished on other nodes; never visible, so no reader waits
        hold.release().whenComplete((u, e) -> {
          if (e != null) log.debug("releasing the reservation of {} failed (it lapses): {}", fileId, e.toString());
        });
      }
      return current;
    });
  }

  /**
   * A write whose seal was recorded though its answer failed (a timeout): it is acknowledged after all,
   * with the version the path shows, if that is still this upload's; else the failure stands. (The
   * version it replaced is not known here: its bytes stay counted until a rescan.)
   */
  private CompletionStage<FileVersion> visibleOrFailed(TfsPath path, FileId fileId, QuotaHold hold, Throwable error) {
    return metadata.stat(path).handle((v, e) -> {
      if (e == null && v.fileId().equals(fileId)) return counted(hold.commit(v, Optional.empty()), v);
      return CompletableFuture.<FileVersion>failedFuture(error);
    }).thenCompose(stage -> stage);
  }

  /**
   * The durable replicas, on distinct nodes, that a write of {@code policy} waits for now: its min-insync
   * capped at the nodes of the cluster that can hold replicas ({@link Peers#replicaNodes()} says which count).
   */
  public int minInsync(Policy policy) {
    return policy.durable() ? policy.effectiveMinInsync(peers.replicaNodes()) : 1;
  }

  /** The visible version of a file; asked again while its entity moves off a node that just died. */
  public CompletionStage<FileVersion> stat(TfsPath path) {
    return whileUnavailable(() -> metadata.stat(path), settings.statusAttempts());
  }

  /**
   * The visible version of a file for a read that starts now: from this node's version cache while its
   * lease holds (no ask), else asked of the file's entity. Once a replace or delete is acknowledged, no
   * node answers the old version here.
   */
  public CompletionStage<FileVersion> statForRead(TfsPath path) {
    CompletionStage<FileVersion> first = metadata.statForRead(path);
    // A cache hit goes back as it is: nothing is added to the hot path.
    if (first instanceof CompletableFuture<FileVersion> f && f.isDone() && !f.isCompletedExceptionally()) return f;
    return retried(first, () -> metadata.statForRead(path), settings.statusAttempts());
  }

  /**
   * Asks again, up to {@code attempts} times in all, while the answer is UNAVAILABLE: an entity whose node
   * just died is moving to a survivor. Other failures come back at once, unwrapped.
   */
  private static <T> CompletionStage<T> whileUnavailable(java.util.function.Supplier<CompletionStage<T>> ask,
      int attempts) {
    return retried(ask.get(), ask, attempts);
  }

  /** {@link #whileUnavailable} whose first ask, {@code first}, is already made. */
  private static <T> CompletionStage<T> retried(CompletionStage<T> first,
      java.util.function.Supplier<CompletionStage<T>> ask, int attempts) {
    return first.handle((v, e) -> {
      if (e == null) return CompletableFuture.completedFuture(v);
      Throwable cause = Failures.unwrap(e);
      if (attempts <= 1 || TfsException.codeOf(cause) != ErrorCode.UNAVAILABLE) {
        return CompletableFuture.<T>failedFuture(cause);
      }
      return whileUnavailable(ask, attempts - 1);
    }).thenCompose(x -> x);
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

  /** Every entry of a directory, sorted by name (read page after page). */
  public CompletionStage<List<DirEntry>> list(TfsPath dir) {
    return metadata.list(dir);
  }

  /** One page of a directory's entries after {@code afterName} (null: from the first); see {@link Metadata#listPage}. */
  public CompletionStage<Metadata.Page> listPage(TfsPath dir, String afterName, int limit) {
    return metadata.listPage(dir, afterName, limit);
  }

  /**
   * Deletes every file under {@code dir}, each through {@link #delete} (its bytes collected, its tenant
   * credited), a page at a time; directories go as they empty. Completes with the number of files
   * deleted; NOT_FOUND when {@code dir} has no entries, CONFLICT when it is a file. Files written during
   * the walk may stay. A failure (a reserved file, the metadata unavailable) stops it, keeping what it did.
   */
  public CompletionStage<Long> deleteTree(TfsPath dir) {
    return deleteTree(dir, null, 0L);
  }

  private CompletionStage<Long> deleteTree(TfsPath dir, String afterName, long so) {
    return metadata.listPage(dir, afterName, DELETE_TREE_PAGE).thenCompose(page -> {
      List<CompletableFuture<Long>> deletes = new ArrayList<>();
      for (DirEntry e : page.entries()) {
        TfsPath path = dir.child(e.name());
        CompletionStage<Long> one = e.type() == DirEntry.Type.DIR
            ? deleteTree(path, null, 0L).exceptionally(t -> goneMeanwhile(t, 0L))
            : delete(path).thenApply(v -> 1L).exceptionally(t -> goneMeanwhile(t, 0L));
        deletes.add(one.toCompletableFuture());
      }
      return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).thenCompose(x -> {
        long total = so + deletes.stream().mapToLong(f -> f.getNow(0L)).sum();
        if (page.lastName().isEmpty()) return CompletableFuture.completedFuture(total);
        return deleteTree(dir, page.lastName().get(), total);
      });
    });
  }

  /** {@code none} when {@code failure} says the thing was gone already (deleted meanwhile); else rethrows. */
  private static <T> T goneMeanwhile(Throwable failure, T none) {
    Throwable cause = Failures.unwrap(failure);
    if (TfsException.codeOf(cause) == ErrorCode.NOT_FOUND) return none;
    throw new java.util.concurrent.CompletionException(cause);
  }

  /** Deletes the visible version; its bytes are collected once its readers are done. */
  public CompletionStage<FileVersion> delete(TfsPath path) {
    return delete(path, Precondition.NONE);
  }

  /**
   * Deletes the visible version if {@code precondition} holds on it, atomically (PRECONDITION_FAILED,
   * deleting nothing, when not); NOT_FOUND when there is none.
   */
  public CompletionStage<FileVersion> delete(TfsPath path, Precondition precondition) {
    if (ReservedPaths.isReserved(path)) return CompletableFuture.failedFuture(ReservedPaths.refusal(path, "delete"));
    return remove(path, precondition);
  }

  /** {@link #delete} of a part file of a checkpoint: for the checkpoint operator only. */
  public CompletionStage<FileVersion> deleteReserved(TfsPath path) {
    if (!ReservedPaths.isReserved(path)) return failed(ErrorCode.BAD_PATH, path + " is not a reserved path");
    return remove(path, Precondition.NONE);
  }

  private CompletionStage<FileVersion> remove(TfsPath path, Precondition precondition) {
    return metadata.delete(path, precondition).thenCompose(v -> {
      collect(v.fileId());
      return counted(tenants.credit(TenantQuotas.tenantOf(path), v.size(), 1), v);
    });
  }

  // ---- attributes, directories, rename

  /**
   * chmod, chown, utimens or an S3 metadata replace of a file: its visible version with {@code change}
   * applied, same bytes and same version number. NOT_FOUND when the file has no visible version.
   */
  public CompletionStage<FileVersion> setAttributes(TfsPath path, AttributeChange change) {
    if (ReservedPaths.isReserved(path)) return CompletableFuture.failedFuture(ReservedPaths.refusal(path, "write"));
    return metadata.setAttributes(path, change);
  }

  /** {@link #setAttributes} of a directory: see {@link Metadata#setDirAttributes}. */
  public CompletionStage<DirInfo> setDirAttributes(TfsPath dir, AttributeChange change) {
    return metadata.setDirAttributes(dir, change);
  }

  /** Makes an explicit directory (see {@link Metadata#mkdir}): CONFLICT "exists" when it is there. */
  public CompletionStage<Void> mkdir(TfsPath dir, FileAttributes attributes) {
    if (dir.isRoot()) return failed(ErrorCode.CONFLICT, "/ exists");
    if (ReservedPaths.isReserved(dir)) return CompletableFuture.failedFuture(ReservedPaths.refusal(dir, "write"));
    return metadata.mkdir(dir, attributes);
  }

  /** Removes an empty directory (see {@link Metadata#rmdir}): CONFLICT "not empty" while it has entries. */
  public CompletionStage<Void> rmdir(TfsPath dir) {
    if (dir.isRoot()) return failed(ErrorCode.CONFLICT, "the root cannot be removed");
    if (ReservedPaths.isReserved(dir)) return CompletableFuture.failedFuture(ReservedPaths.refusal(dir, "delete"));
    return metadata.rmdir(dir);
  }

  /** A directory's facts (see {@link Metadata#statDir}). */
  public CompletionStage<DirInfo> statDir(TfsPath dir) {
    return whileUnavailable(() -> metadata.statDir(dir), settings.statusAttempts());
  }

  /**
   * Renames the file {@code from} to {@code to} (see {@link Metadata#rename}): same bytes, no copy; the
   * target's old version is collected like a replaced one and credited to the tenant. BAD_REQUEST
   * "cross-tenant" when the two are in different tenants.
   */
  public CompletionStage<FileVersion> rename(TfsPath from, TfsPath to, Precondition onTarget) {
    Optional<TfsException> refused = renameRefusal(from, to);
    if (refused.isPresent()) return CompletableFuture.failedFuture(refused.get());
    return metadata.rename(from, to, onTarget).thenCompose(sealed -> {
      if (sealed.replaced().isEmpty()) return CompletableFuture.completedFuture(sealed.current());
      FileVersion old = sealed.replaced().get();
      collect(old.fileId());
      return counted(tenants.credit(TenantQuotas.tenantOf(to), old.size(), 1), sealed.current());
    });
  }

  /** BAD_REQUEST across tenants, BAD_PATH for reserved paths; empty when a rename may go ahead. */
  private static Optional<TfsException> renameRefusal(TfsPath from, TfsPath to) {
    if (ReservedPaths.isReserved(from)) return Optional.of(ReservedPaths.refusal(from, "rename"));
    if (ReservedPaths.isReserved(to)) return Optional.of(ReservedPaths.refusal(to, "write"));
    if (from.isRoot() || to.isRoot()) return Optional.of(new TfsException(ErrorCode.BAD_PATH, "the root cannot be renamed"));
    if (!TenantQuotas.tenantOf(from).equals(TenantQuotas.tenantOf(to))) {
      return Optional.of(new TfsException(ErrorCode.BAD_REQUEST, "cross-tenant rename of " + from + " to " + to
          + " is refused: copy and delete instead"));
    }
    return Optional.empty();
  }

  /**
   * Renames the directory {@code from} to {@code to}, entry by entry (not atomic: a crash or a failure leaves
   * some entries moved and the rest not; a retry finishes it). Completes with the files moved. BAD_REQUEST
   * over {@code tensorfs.operator}'s limit of files, "cross-tenant", or into itself; CONFLICT when {@code to}
   * exists.
   */
  public CompletionStage<Long> renameDir(TfsPath from, TfsPath to) {
    Optional<TfsException> refused = renameRefusal(from, to);
    if (refused.isPresent()) return CompletableFuture.failedFuture(refused.get());
    if (to.toString().startsWith(from + "/")) return failed(ErrorCode.BAD_REQUEST, "cannot move " + from + " into itself (" + to + ")");
    return metadata.statDir(from)
        .thenCompose(info -> targetFree(to))
        .thenCompose(v -> countFiles(from, null, 0L))
        .thenCompose(n -> {
          if (n > RENAME_DIR_MAX_FILES) {
            return failed(ErrorCode.BAD_REQUEST, from + " holds more than " + RENAME_DIR_MAX_FILES
                + " files: rename it in parts");
          }
          return moveDir(from, to);
        });
  }

  /** The most files {@link #renameDir} moves in one call. */
  public static final long RENAME_DIR_MAX_FILES = 10_000;

  /** Done when nothing has the name {@code to}, or an empty directory has it (removed first, as POSIX does). */
  private CompletionStage<Void> targetFree(TfsPath to) {
    return metadata.statDir(to).<CompletionStage<Void>>handle((info, failure) -> {
      if (failure == null) return metadata.rmdir(to); // CONFLICT "not empty" when it has entries
      ErrorCode code = TfsException.codeOf(Failures.unwrap(failure));
      if (code == ErrorCode.NOT_FOUND) return CompletableFuture.<Void>completedFuture(null);
      if (code == ErrorCode.CONFLICT) return NodeOperator.<Void>failed(ErrorCode.CONFLICT, to + " is a file");
      return CompletableFuture.<Void>failedFuture(Failures.unwrap(failure));
    }).thenCompose(x -> x);
  }

  /** The files under {@code dir}, counted page by page until the count is over the limit. */
  private CompletionStage<Long> countFiles(TfsPath dir, String afterName, long so) {
    return metadata.listPage(dir, afterName, DELETE_TREE_PAGE).thenCompose(page -> {
      CompletionStage<Long> total = CompletableFuture.completedFuture(so);
      for (DirEntry e : page.entries()) {
        total = total.thenCompose(n -> {
          if (n > RENAME_DIR_MAX_FILES) return CompletableFuture.completedFuture(n);
          return e.type() == DirEntry.Type.DIR
              ? countFiles(dir.child(e.name()), null, n).exceptionally(t -> goneMeanwhile(t, n))
              : CompletableFuture.completedFuture(n + 1);
        });
      }
      return total.thenCompose(n -> page.lastName().isEmpty() || n > RENAME_DIR_MAX_FILES
          ? CompletableFuture.completedFuture(n) : countFiles(dir, page.lastName().get(), n));
    });
  }

  /**
   * Moves {@code from}'s entries to {@code to}, files by {@link #rename} (a page at a time), directories
   * recursively; an explicit directory is made at {@code to} first (same attributes) and removed from
   * {@code from} last. Completes with the files moved.
   */
  private CompletionStage<Long> moveDir(TfsPath from, TfsPath to) {
    return metadata.statDir(from).thenCompose(info -> {
      CompletionStage<Void> made = info.explicit()
          ? metadata.mkdir(to, info.attributes()).exceptionally(t -> goneMeanwhile(t, null, ErrorCode.CONFLICT))
          : CompletableFuture.completedFuture(null);
      return made.thenCompose(v -> moveEntries(from, to, 0L, null)).thenCompose(n -> info.explicit()
          ? metadata.rmdir(from).thenApply(x -> n).exceptionally(t -> goneMeanwhile(t, n))
          : CompletableFuture.completedFuture(n));
    });
  }

  /**
   * Always the first page: every entry on it moves away, so the next page is the new first one. A first page
   * that starts with the same name as the one before ({@code firstBefore}) made no progress and ends the walk.
   */
  private CompletionStage<Long> moveEntries(TfsPath from, TfsPath to, long so, String firstBefore) {
    return metadata.listPage(from, null, DELETE_TREE_PAGE).handle((page, failure) -> {
      if (failure != null) {
        // An implicit directory whose last entry moved is gone: done.
        if (TfsException.codeOf(Failures.unwrap(failure)) == ErrorCode.NOT_FOUND) {
          return CompletableFuture.completedFuture(so);
        }
        return CompletableFuture.<Long>failedFuture(Failures.unwrap(failure));
      }
      if (page.entries().isEmpty()) return CompletableFuture.completedFuture(so);
      String first = page.entries().get(0).name();
      if (first.equals(firstBefore)) return CompletableFuture.completedFuture(so);
      List<CompletableFuture<Long>> moves = new ArrayList<>();
      for (DirEntry e : page.entries()) {
        TfsPath source = from.child(e.name());
        TfsPath target = to.child(e.name());
        CompletionStage<Long> one = e.type() == DirEntry.Type.DIR
            ? moveDir(source, target)
            : rename(source, target, Precondition.NONE).thenApply(v -> 1L).exceptionally(t -> goneMeanwhile(t, 0L));
        moves.add(one.toCompletableFuture());
      }
      return CompletableFuture.allOf(moves.toArray(CompletableFuture[]::new)).thenCompose(x -> {
        long total = so + moves.stream().mapToLong(f -> f.getNow(0L)).sum();
        // Directories only (empty ones move no file) still make progress: the walk goes on while pages remain.
        return page.lastName().isPresent() ? moveEntries(from, to, total, first) : CompletableFuture.completedFuture(total);
      });
    }).thenCompose(x -> x);
  }

  /** {@code none} when {@code failure} has the code {@code expected}; else rethrows. */
  private static <T> T goneMeanwhile(Throwable failure, T none, ErrorCode expected) {
    Throwable cause = Failures.unwrap(failure);
    if (TfsException.codeOf(cause) == expected) return none;
    throw new java.util.concurrent.CompletionException(cause);
  }

  /** {@link #listPage} with each file's visible version (size, mtime, MD5 for S3 listings). */
  public CompletionStage<Metadata.VersionPage> listVersions(TfsPath dir, String afterName, int limit) {
    return metadata.listVersions(dir, afterName, limit);
  }

  // ---- tenants

  /** A tenant's usage and quota (zeros and no limits for one never written). */
  public CompletionStage<TenantUsage> tenant(String tenant) {
    return tenants.usage(tenant);
  }

  /** Every tenant with an entry at the root or a quota, with its usage and quota, sorted by tenant. */
  public CompletionStage<List<TenantUsage>> tenants() {
    return metadata.list(TfsPath.ROOT).thenCombine(tenants.named(), (entries, named) -> {
      java.util.SortedSet<String> names = new java.util.TreeSet<>(named);
      for (DirEntry e : entries) names.add(e.name());
      return names;
    }).thenCompose(names -> {
      List<CompletableFuture<TenantUsage>> all = new ArrayList<>();
      for (String name : names) all.add(tenants.usage(name).toCompletableFuture());
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> all.stream()
          .map(f -> f.getNow(null))
          .sorted(java.util.Comparator.comparing(TenantUsage::tenant))
          .toList());
    });
  }

  /** Changes a tenant's quota; its writes in flight keep what they hold, new bytes are checked against it. */
  public CompletionStage<TenantUsage> setQuota(String tenant, QuotaChange change) {
    return tenants.setQuota(tenant, change);
  }

  /**
   * Counts a tenant's sealed files and their bytes by walking its directory tree, and makes that its
   * usage (for data written before usage was recorded). Writes sealed or deleted during the walk may be
   * counted or not; run it when the tenant is quiet.
   */
  public CompletionStage<TenantUsage> rescan(String tenant) {
    return metadata.list(TfsPath.ROOT)
        .thenCompose(root -> root.stream().filter(e -> e.name().equals(tenant)).findFirst()
            .map(e -> e.type() == DirEntry.Type.FILE
                ? CompletableFuture.completedFuture(new long[] {e.size(), 1})
                : walk(TfsPath.ROOT.child(tenant)))
            .orElse(CompletableFuture.completedFuture(new long[] {0, 0})))
        .thenCompose(counted -> tenants.rebuild(tenant, counted[0], counted[1]));
  }

  /** {bytes, files} of the sealed files under {@code dir}. */
  private CompletionStage<long[]> walk(TfsPath dir) {
    return metadata.list(dir).exceptionally(e -> {
      if (TfsException.codeOf(Failures.unwrap(e)) == ErrorCode.NOT_FOUND) return List.of(); // emptied meanwhile
      throw new java.util.concurrent.CompletionException(Failures.unwrap(e));
    }).thenCompose(entries -> {
      long[] sum = new long[2];
      List<CompletableFuture<long[]>> below = new ArrayList<>();
      for (DirEntry e : entries) {
        if (e.type() == DirEntry.Type.DIR) {
          below.add(walk(dir.child(e.name())).toCompletableFuture());
        } else {
          sum[0] += e.size();
          sum[1]++;
        }
      }
      return CompletableFuture.allOf(below.toArray(CompletableFuture[]::new)).thenApply(x -> {
        for (CompletableFuture<long[]> f : below) {
          sum[0] += f.getNow(null)[0];
          sum[1] += f.getNow(null)[1];
        }
        return sum;
      });
    });
  }

  /**
   * Opens a read of the bytes {@code [first, first+length)} of a sealed version. The version's bytes
   * are leased until the read is closed, so a concurrent overwrite or delete does not remove them. A
   * {@code kvcache} version whose bytes were lost (dropped from memory before they reached a disk, or
   * the node died first) fails with NOT_FOUND: for a KV block, a miss is the answer.
   */
  public CompletionStage<FileRead> openRead(FileVersion v, long first, long length) {
    List<FileRead.Span> spans = spans(v, first, length);
    boolean hit = spans.stream().allMatch(sp -> cache.contains(sp.chunk()));
    if (v.policy().durable() || hit) {
      ReadLeases.Lease lease = leases.acquire(v.fileId());
      // The first piece is fetched before the answer starts: a chunk no replica can serve (every one
      // corrupt where the range needs it) is then an error answer, not a body cut off at its first byte.
      return new FileRead(v, first, length, hit, settings.readAhead(), spans, span -> piece(v, span), lease::close)
          .started();
    }
    // A block that may be lost is fetched whole before the answer starts: it is then sent complete,
    // or the answer is a clean miss, never a body cut off half way.
    ReadLeases.Lease lease = leases.acquire(v.fileId());
    List<CompletableFuture<ReadPiece>> fetched = new ArrayList<>();
    for (FileRead.Span span : spans) fetched.add(piece(v, span).toCompletableFuture());
    return CompletableFuture.allOf(fetched.toArray(CompletableFuture[]::new)).handle((x, e) -> {
      if (e != null) {
        for (CompletableFuture<ReadPiece> f : fetched) f.thenAccept(ReadPiece::release);
        lease.close();
        throw new TfsException(ErrorCode.NOT_FOUND, v.path() + " (" + v.policy().text()
            + ") is lost or out of reach: " + Failures.unwrap(e).getMessage());
      }
      Prefetched pieces = new Prefetched(spans, fetched.stream().map(f -> f.getNow(null)).toList());
      return new FileRead(v, first, length, false, settings.readAhead(), spans, pieces::take, () -> {
        pieces.releaseUntaken();
        lease.close();
      });
    });
  }

  /**
   * Fails with NOT_FOUND when a non-durable version has a chunk neither resident nor readable on a local
   * disk. For HEAD, which sends no bytes: it checks that the replicas are there without reading them
   * (a GET fetches its whole range instead, see {@link #openRead}).
   */
  private CompletionStage<Void> ensureNotLost(FileVersion v, List<FileRead.Span> spans) {
    List<CompletableFuture<Boolean>> present = new ArrayList<>();
    for (FileRead.Span sp : spans) {
      if (cache.contains(sp.chunk())) continue;
      present.add(chunkStatus(sp.chunk())
          .thenCompose(st -> remoteReplicas(st).isEmpty()
              ? onSomeDisk(localReplicas(st), 0, sp.chunk())
              : CompletableFuture.completedFuture(true))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(present.toArray(CompletableFuture[]::new)).thenApply(x -> {
      if (present.stream().anyMatch(f -> !f.getNow(true))) {
        throw new TfsException(ErrorCode.NOT_FOUND, v.path() + " (" + v.policy().text()
            + ") was lost before it reached a disk; write it again");
      }
      return null;
    });
  }

  /**
   * A chunk's status; asked again while its entity is unavailable (its node just died and its shard is
   * moving to a survivor), so a read in progress rides out the move.
   */
  private CompletionStage<ChunkStatus> chunkStatus(ChunkId chunk) {
    return whileUnavailable(() -> metadata.chunk(chunk), settings.statusAttempts());
  }

  /** Whether one of {@code replicas} opens (reading no bytes checks its files are there and agree). */
  private CompletionStage<Boolean> onSomeDisk(List<ChunkStore> replicas, int i, ChunkId chunk) {
    if (i >= replicas.size()) return CompletableFuture.completedFuture(false);
    return replicas.get(i).read(chunk, 0, 0).handle((bytes, e) -> e == null)
        .thenCompose(ok -> ok ? CompletableFuture.completedFuture(true) : onSomeDisk(replicas, i + 1, chunk));
  }

  /** Whether a version can be read at all: a lost {@code kvcache} version fails with NOT_FOUND. */
  public CompletionStage<FileVersion> ensureReadable(FileVersion v) {
    if (v.policy().durable()) return CompletableFuture.completedFuture(v);
    return ensureNotLost(v, spans(v, 0, v.size())).thenApply(x -> v);
  }

  /**
   * The bytes {@code [first, first+length)} of a sealed version as a stream, copied out of the cache's
   * pages. The stream fails if a chunk cannot be read from any replica.
   */
  public Source<ByteString, NotUsed> read(FileVersion v, long first, long length) {
    return Source.completionStage(openRead(v, first, length)).flatMapConcat(this::bytesOf);
  }

  /**
   * The stream of a read opened with {@link #openRead} ({@link FileRead#pieces()}: its chunks fetched as
   * the consumer pulls, a few ahead); closes it when the stream ends.
   */
  public Source<ByteString, NotUsed> bytesOf(FileRead read) {
    return read.pieces().mapConcat(NodeOperator::copyOut);
  }

  /** Copies a piece into ByteStrings of at most one read segment each, then releases it. */
  private static List<ByteString> copyOut(ReadPiece piece) {
    List<ByteString> out = new ArrayList<>();
    try {
      for (java.nio.ByteBuffer b : piece.buffers()) {
        java.nio.ByteBuffer view = b.duplicate();
        while (view.hasRemaining()) {
          int n = Math.min(view.remaining(), 1 << 20);
          java.nio.ByteBuffer part = view.duplicate();
          part.limit(part.position() + n);
          out.add(ByteString.fromByteBuffer(part));
          view.position(view.position() + n);
        }
      }
    } finally {
      piece.release();
    }
    return out;
  }

  private List<FileRead.Span> spans(FileVersion v, long first, long length) {
    List<FileRead.Span> out = new ArrayList<>();
    long chunkSize = v.chunkSizeBytes();
    long pos = first;
    long end = first + length;
    while (pos < end) {
      int index = (int) (pos / chunkSize);
      long chunkLength = v.chunks().get(index).lengthBytes();
      long inChunk = pos - index * chunkSize;
      long take = Math.min(end - pos, chunkLength - inChunk);
      if (take <= 0) break;
      out.add(new FileRead.Span(new ChunkId(v.fileId(), index), chunkLength, inChunk, take));
      pos += take;
    }
    return out;
  }

  /**
   * One span's bytes: a resident chunk's pages, else read through the cache from this node's replicas
   * or, with none here, from the other nodes' (else, cache full, from them straight).
   */
  private CompletionStage<ReadPiece> piece(FileVersion v, FileRead.Span span) {
    if (v.policy().kind() == Policy.Kind.CACHE) readDemand.read(span.chunk(), v.path());
    Optional<CachedChunk> resident = cache.lookup(span.chunk());
    if (resident.isPresent()) {
      ServedBytes.fromCache(span.length());
      return CompletableFuture.completedFuture(pagesOf(resident.get(), span));
    }
    return chunkStatus(span.chunk()).thenCompose(status -> {
      List<ChunkStore> replicas = readableReplicas(status);
      if (replicas.isEmpty()) {
        if (!v.policy().durable()) {
          throw new TfsException(ErrorCode.NOT_FOUND, v.path() + " was lost before it reached a disk");
        }
        throw new TfsException(ErrorCode.UNAVAILABLE, "no readable replica of " + span.chunk()
            + " (replicas: " + status.replicas() + ")");
      }
      if (status.clean().isEmpty()) return pastTheCache(replicas, span);
      return cache.load(span.chunk(), span.chunkLength(), v.path(), replicas)
          .thenApply(chunk -> pagesOf(chunk, span))
          .exceptionallyCompose(e -> readsPastTheCache(Failures.unwrap(e))
              ? pastTheCache(replicas, span)
              : CompletableFuture.failedFuture(Failures.unwrap(e)));
    });
  }

  /**
   * Whether a chunk that could not be loaded into the cache is read past it: when the cache is full, and
   * when no replica served some page of it whole. The cache holds whole chunks only (its large pages stay
   * simple), so a chunk with a bad block on every replica never becomes resident; the span is then read
   * straight from the replicas, which verify only the blocks it touches, each segment from the first
   * replica that serves it. A range clear of the bad blocks is served; one that needs them fails with
   * CHECKSUM_MISMATCH. With only CORRUPT replicas left the span goes past the cache at once.
   */
  private static boolean readsPastTheCache(Throwable loadFailure) {
    ErrorCode code = TfsException.codeOf(loadFailure);
    return code == ErrorCode.NO_SPACE || code == ErrorCode.CHECKSUM_MISMATCH;
  }

  /**
   * This node's clean replicas, then those of other reachable nodes, read as one store with fail-over:
   * the nodes holding the chunk in memory for its readers first (in an order of this read's own, so
   * that readers spread over them), then the durable replicas. The segments of a read are spread over the
   * nodes holding it in memory when there are any (the durable replicas only take over failed segments),
   * else over the durable replicas.
   */
  private List<ChunkStore> readableReplicas(ChunkStatus status) {
    List<ChunkStore> out = new ArrayList<>(localReplicas(status));
    List<ReplicaLocation> remote = new ArrayList<>();
    List<String> inMemory = new ArrayList<>(status.memory().nodes());
    java.util.Collections.shuffle(inMemory, java.util.concurrent.ThreadLocalRandom.current());
    for (String node : inMemory) {
      if (!node.equals(nodeId) && peers.isLive(node)) remote.add(new ReplicaLocation(node, MEMORY_STORE));
    }
    int spreadOver = remote.isEmpty() ? Integer.MAX_VALUE : remote.size(); // in memory: those serve the segments
    remote.addAll(remoteReplicas(status));
    if (!remote.isEmpty()) out.add(new RemoteReplicas(remote, spreadOver, peers));
    out.addAll(corruptReplicas(status));
    return out;
  }

  /**
   * The CORRUPT replicas, the last resort of a read: each block they serve is verified, so their good
   * blocks serve ranges that miss the bad ones (until they are re-created), and never a wrong byte.
   */
  private List<ChunkStore> corruptReplicas(ChunkStatus status) {
    List<ChunkStore> out = new ArrayList<>();
    List<ReplicaLocation> remote = new ArrayList<>();
    for (ReplicaLocation r : status.corrupt()) {
      if (r.node().equals(nodeId)) {
        if (stores.containsKey(r.store())) out.add(stores.get(r.store()));
      } else if (peers.isLive(r.node())) {
        remote.add(r);
      }
    }
    if (!remote.isEmpty()) out.add(new RemoteReplicas(remote, peers));
    return out;
  }

  private List<ReplicaLocation> remoteReplicas(ChunkStatus status) {
    return status.clean().stream().filter(r -> !r.node().equals(nodeId) && peers.isLive(r.node())).toList();
  }

  private static ReadPiece pagesOf(CachedChunk chunk, FileRead.Span span) {
    return new ReadPiece(chunk.slices(span.offset(), span.length()), chunk::release);
  }

  /** A span read straight from the replicas into memory of its own, for when the cache has no room. */
  private CompletionStage<ReadPiece> pastTheCache(List<ChunkStore> replicas, FileRead.Span span) {
    List<long[]> segments = new ArrayList<>();
    for (long pos = span.offset(), end = span.offset() + span.length(); pos < end; pos += readSegmentBytes) {
      segments.add(new long[] {pos, Math.min(readSegmentBytes, end - pos)});
    }
    return Source.from(segments)
        .mapAsync(settings.readAheadSegments(), seg -> readFrom(replicas, 0, span.chunk(), seg[0], (int) seg[1]).thenApply(bytes -> {
          if (bytes.size() != seg[1]) {
            throw new TfsException(ErrorCode.IO_ERROR, "replica of " + span.chunk() + " is short at " + seg[0]);
          }
          return bytes.asByteBuffer();
        }))
        .runWith(Sink.seq(), system)
        .thenApply(buffers -> new ReadPiece(List.copyOf(buffers), () -> {}));
  }

  /** Reads from the replicas in turn: a corrupt or missing replica hands over to the next one. */
  private CompletionStage<ByteString> readFrom(List<ChunkStore> replicas, int i, ChunkId chunk, long pos, int n) {
    return replicas.get(i).read(chunk, pos, n).handle((bytes, error) -> {
      if (error == null) ServedBytes.fromStore(replicas.get(i), bytes.size());
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

  /**
   * Removes a replaced or deleted version's bytes: from this node's cache and stores at once (each
   * store waits for this node's readers of it), and, after {@code remote-collect-delay}, from every
   * other node's stores and cache, so that reads of it fetching from those nodes have that long to end.
   */
  private void collect(FileId old) {
    cache.drop(old);
    for (var actor : storeActors.values()) {
      actor.tell(new StoreActor.CollectFile(old, system.ignoreRef()));
    }
    system.scheduler().scheduleOnce(settings.remoteCollectDelay(), () -> collectElsewhere(old),
        system.executionContext());
  }

  private void collectElsewhere(FileId old) {
    findAll(StoreActor.KEY).thenAccept(stores -> {
      for (ActorRef<StoreActor.Command> s : stores) {
        if (!s.path().address().hasLocalScope()) s.tell(new StoreActor.CollectFile(old, system.ignoreRef()));
      }
    });
    findAll(CacheActor.KEY).thenAccept(caches -> {
      for (ActorRef<CacheActor.Command> c : caches) {
        if (!c.path().address().hasLocalScope()) c.tell(new CacheActor.Drop(old, system.ignoreRef()));
      }
    });
  }

  private <T> CompletionStage<java.util.Set<ActorRef<T>>> findAll(ServiceKey<T> key) {
    return Stages.onTheSpot(AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(key, replyTo), settings.findTimeout(), system.scheduler()))
        .thenApply(listing -> listing.getServiceInstances(key))
        .exceptionally(e -> {
          log.warn("cannot find the other nodes' {} to collect a version: {}", key.id(), e.toString());
          return java.util.Set.of();
        });
  }

  /**
   * The chain of one chunk: kvcache writes back into this node's cache (flushed to the store later);
   * other policies write the replicas here straight to the store, durable, and push the rest.
   */
  private ReplicaChain openChain(ChunkId chunk, TfsPath owner, List<ReplicaLocation> hops, Policy policy,
      OptionalLong lengthBytes) {
    return replication.open(chunk, owner, policy.durable(), hops, lengthBytes, at -> policy.durable()
        ? stores.get(at.store()).openWriter(chunk, owner, true)
        : cache.writeBack(chunk, owner, at.store()));
  }

  private static <T> CompletionStage<T> failed(ErrorCode code, String message) {
    return CompletableFuture.failedFuture(new TfsException(code, message));
  }

}
