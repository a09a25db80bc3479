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
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.ReplicaChain;
import io.tensorfs.sharding.replication.ReplicaStores;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.replication.Replication;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ServedBytes;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.cache.CacheActor;
import io.tensorfs.store.cache.CachedChunk;
import io.tensorfs.store.cache.ChunkCache;
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
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations of one node, shared by every edge (HTTP, gRPC): streamed put and get, stat, list
 * and delete over the metadata. Every node serves every file: a chunk is read from this node's replicas
 * when it has clean ones, else fetched over the transport from the other nodes' replicas (into this
 * node's cache pages), going on from the next replica where one fails. Writes go along each chunk's
 * replica chain. Thread-safe; holds no per-request state. Bytes flow in streams straight between the
 * edge, the stores and the transport; only control goes to actors.
 */
public final class FileOperations {
  private static final Logger log = LoggerFactory.getLogger(FileOperations.class);
  /** The store named for a node's in-memory replica (a remote read names the node; the store is not used). */
  private static final String MEMORY_STORE = "memory";
  /** Asks of a chunk's entity before a read gives up on it (each waits the metadata's ask timeout). */
  private static final int STATUS_ATTEMPTS = 4;

  private final ActorSystem<?> system;
  private final Metadata metadata;
  private final String nodeId;
  private final Map<String, ChunkStore> stores;
  private final Map<String, ActorRef<StoreActor.Command>> storeActors;
  private final ReadLeases leases;
  private final ChunkCache cache;
  private final int readSegmentBytes;
  private final int readAheadSegments;
  private final int writeBatchBytes;
  private final Replication replication;
  private final ReadDemandMeter readDemand;
  private final java.time.Duration remoteCollectDelay;
  private final Peers peers;
  private final ReplicaStores replicaStores;
  private final java.util.concurrent.atomic.AtomicInteger uploads = new java.util.concurrent.atomic.AtomicInteger();

  /** A node alone: every replica is on this node, no transport. */
  public FileOperations(ActorSystem<?> system, Metadata metadata, String nodeId, List<ChunkStore> stores,
      Map<String, ActorRef<StoreActor.Command>> storeActors, ReadLeases leases, ChunkCache cache,
      int readSegmentBytes, int readAheadSegments, int writeBatchBytes) {
    this(system, metadata, nodeId, stores, storeActors, leases, cache, readSegmentBytes, readAheadSegments,
        writeBatchBytes, alone(system, nodeId, stores), ReadDemandMeter.OFF);
  }

  private static Replication alone(ActorSystem<?> system, String nodeId, List<ChunkStore> stores) {
    Map<String, ChunkStore> byId = new java.util.HashMap<>();
    for (ChunkStore s : stores) byId.put(s.id(), s);
    return new Replication(new Peers(nodeId), byId::get, org.apache.pekko.stream.Materializer.matFromSystem(system));
  }

  /**
   * @param replication this node's replication chains and its view of the other nodes; the cache must
   *     load from a {@link ReplicaStores} over the same peers, so it can be given other nodes' replicas
   * @param readDemand   counts the reads of {@code cache(min,max)} chunks for their elastic replicas
   */
  public FileOperations(ActorSystem<?> system, Metadata metadata, String nodeId, List<ChunkStore> stores,
      Map<String, ActorRef<StoreActor.Command>> storeActors, ReadLeases leases, ChunkCache cache,
      int readSegmentBytes, int readAheadSegments, int writeBatchBytes, Replication replication,
      ReadDemandMeter readDemand) {
    this.system = system;
    this.metadata = metadata;
    this.nodeId = nodeId;
    Map<String, ChunkStore> byId = new java.util.LinkedHashMap<>();
    for (ChunkStore s : stores) byId.put(s.id(), s);
    this.stores = Map.copyOf(byId);
    this.storeActors = Map.copyOf(storeActors);
    this.leases = leases;
    this.cache = cache;
    this.readSegmentBytes = readSegmentBytes;
    this.readAheadSegments = readAheadSegments;
    this.writeBatchBytes = writeBatchBytes;
    this.replication = replication;
    this.readDemand = readDemand;
    this.remoteCollectDelay = system.settings().config().getDuration("tensorfs.gateway.remote-collect-delay");
    this.peers = replication.peers();
    this.replicaStores = new ReplicaStores(this.stores::get, peers,
        org.apache.pekko.stream.Materializer.matFromSystem(system));
  }

  public Metadata metadata() {
    return metadata;
  }

  public ChunkCache cache() {
    return cache;
  }

  public String nodeId() {
    return nodeId;
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
    List<ReplicaLocation> candidates = candidatesFor(declaredBytes.orElse(0), policy);
    if (candidates.isEmpty()) {
      return failed(ErrorCode.NO_SPACE, "no store has room for " + declaredBytes.orElse(0) + " bytes");
    }
    Function<String, ChunkStore> storeById = stores::get;
    return metadata.beginUpload(path, policy, chunkSizeBytes, createOnly).thenCompose(fileId -> {
      Upload upload = new Upload(metadata, storeById, this::openChain, candidates, path, fileId, policy, createOnly,
          chunkSizeBytes, declaredBytes);
      return body
          .via(ChunkCutter.flow(chunkSizeBytes, maxBytes, writeBatchBytes))
          .mapAsync(1, upload::acceptAll)
          .runWith(Sink.ignore(), system)
          .thenCompose(done -> upload.finish())
          .handle((sealed, error) -> {
            if (error == null) return CompletableFuture.completedFuture(sealed);
            return upload.abort().thenCompose(d -> {
              cache.drop(fileId);
              return CompletableFuture.<Metadata.Sealed>failedFuture(error);
            });
          })
          .thenCompose(stage -> stage)
          .thenApply(sealed -> {
            sealed.replaced().ifPresent(old -> collect(old.fileId()));
            return sealed.current();
          });
    });
  }

  /** The visible version of a file; asked again while its entity moves off a node that just died. */
  public CompletionStage<FileVersion> stat(TfsPath path) {
    return stat(path, STATUS_ATTEMPTS);
  }

  private CompletionStage<FileVersion> stat(TfsPath path, int attempts) {
    return metadata.stat(path).handle((v, e) -> {
      if (e == null) return CompletableFuture.completedFuture(v);
      if (attempts <= 1 || TfsException.codeOf(unwrap(e)) != ErrorCode.UNAVAILABLE) {
        return CompletableFuture.<FileVersion>failedFuture(unwrap(e));
      }
      return stat(path, attempts - 1);
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
      return CompletableFuture.completedFuture(
          new FileRead(v, first, length, hit, spans, span -> piece(v, span), lease::close));
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
            + ") is lost or out of reach: " + unwrap(e).getMessage());
      }
      Prefetched pieces = new Prefetched(spans, fetched.stream().map(f -> f.getNow(null)).toList());
      return new FileRead(v, first, length, false, spans, pieces::take, () -> {
        pieces.releaseUntaken();
        lease.close();
      });
    });
  }

  /** Pieces fetched before a read began, handed out once each; those never taken are released at close. */
  private static final class Prefetched {
    private final List<FileRead.Span> spans;
    private final List<ReadPiece> pieces;
    private final boolean[] taken;

    Prefetched(List<FileRead.Span> spans, List<ReadPiece> pieces) {
      this.spans = spans;
      this.pieces = pieces;
      this.taken = new boolean[pieces.size()];
    }

    synchronized CompletionStage<ReadPiece> take(FileRead.Span span) {
      int i = spans.indexOf(span);
      taken[i] = true;
      return CompletableFuture.completedFuture(pieces.get(i));
    }

    synchronized void releaseUntaken() {
      for (int i = 0; i < taken.length; i++) {
        if (!taken[i]) {
          taken[i] = true;
          pieces.get(i).release();
        }
      }
    }
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
    return chunkStatus(chunk, STATUS_ATTEMPTS);
  }

  private CompletionStage<ChunkStatus> chunkStatus(ChunkId chunk, int attempts) {
    return metadata.chunk(chunk).handle((st, e) -> {
      if (e == null) return CompletableFuture.completedFuture(st);
      if (attempts <= 1 || TfsException.codeOf(unwrap(e)) != ErrorCode.UNAVAILABLE) {
        return CompletableFuture.<ChunkStatus>failedFuture(unwrap(e));
      }
      return chunkStatus(chunk, attempts - 1);
    }).thenCompose(x -> x);
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

  /** The stream of a read opened with {@link #openRead}; closes it when the stream ends. */
  public Source<ByteString, NotUsed> bytesOf(FileRead read) {
    return Source.<ReadPiece, FileRead>unfoldResourceAsync(
            () -> CompletableFuture.completedFuture(read),
            r -> r.next().thenApply(Optional::ofNullable),
            r -> {
              r.close();
              return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            })
        .mapConcat(FileOperations::copyOut);
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
      List<String> ids = replicas.stream().map(ChunkStore::id).toList();
      return cache.load(span.chunk(), span.chunkLength(), v.path(), ids)
          .thenApply(chunk -> pagesOf(chunk, span))
          .exceptionallyCompose(e -> TfsException.codeOf(unwrap(e)) == ErrorCode.NO_SPACE
              ? pastTheCache(replicas, span)
              : CompletableFuture.failedFuture(unwrap(e)));
    });
  }

  /**
   * This node's clean replicas, then those of other reachable nodes, read as one store with fail-over:
   * the nodes holding the chunk in memory for its readers first (in an order of this read's own, so
   * that readers spread over them), then the durable replicas.
   */
  private List<ChunkStore> readableReplicas(ChunkStatus status) {
    List<ChunkStore> out = new ArrayList<>(localReplicas(status));
    List<ReplicaLocation> remote = new ArrayList<>();
    List<String> inMemory = new ArrayList<>(status.memory().nodes());
    java.util.Collections.shuffle(inMemory, java.util.concurrent.ThreadLocalRandom.current());
    for (String node : inMemory) {
      if (!node.equals(nodeId) && peers.isLive(node)) remote.add(new ReplicaLocation(node, MEMORY_STORE));
    }
    remote.addAll(remoteReplicas(status));
    if (!remote.isEmpty()) out.add(replicaStores.apply(ReplicaStores.remoteId(remote)));
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
        .mapAsync(readAheadSegments, seg -> readFrom(replicas, 0, span.chunk(), seg[0], (int) seg[1]).thenApply(bytes -> {
          if (bytes.size() != seg[1]) {
            throw new TfsException(ErrorCode.IO_ERROR, "replica of " + span.chunk() + " is short at " + seg[0]);
          }
          return bytes.asByteBuffer();
        }))
        .runWith(Sink.seq(), system)
        .thenApply(buffers -> new ReadPiece(List.copyOf(buffers), () -> {}));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
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
   * Where a new file's chunks may go, best first: this node's stores with room, then (for policies that
   * want more than one replica) the other reachable nodes' stores, their order turning with each upload
   * so that chains spread over the cluster. A {@code kvcache} file stays on the node the writer talks to.
   */
  private List<ReplicaLocation> candidatesFor(long bytes, Policy policy) {
    List<ReplicaLocation> out = new ArrayList<>();
    for (ChunkStore s : stores.values()) {
      if (s.usableBytes() >= bytes) out.add(new ReplicaLocation(nodeId, s.id()));
    }
    if (policy.replicas() <= 1 || !policy.durable()) return out;
    List<Peers.PeerInfo> others = peers.live().values().stream()
        .sorted(java.util.Comparator.comparing(Peers.PeerInfo::nodeId)).toList();
    int turn = others.isEmpty() ? 0 : Math.floorMod(uploads.getAndIncrement(), others.size());
    for (int i = 0; i < others.size(); i++) {
      Peers.PeerInfo p = others.get((turn + i) % others.size());
      for (String store : p.storeIds()) out.add(new ReplicaLocation(p.nodeId(), store));
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
    system.scheduler().scheduleOnce(remoteCollectDelay, () -> collectElsewhere(old), system.executionContext());
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
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            replyTo -> Receptionist.find(key, replyTo), java.time.Duration.ofSeconds(10), system.scheduler())
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
