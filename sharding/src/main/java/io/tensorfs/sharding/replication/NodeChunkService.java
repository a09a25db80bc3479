package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.cache.CachedChunk;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * What this node serves to its peers through the transport: reads of the replicas it holds (from the
 * cache's pages when resident, else from the store that has the replica, checksums verified there;
 * each under a read lease on its file, so the version is not collected under it),
 * and pushed replicas, written to the stores the push's chain names for this node and forwarded to the
 * rest of the chain before the acknowledgement. {@link #readPages} lends resident pages to the transport
 * without copying them (the chunk and the lease are held until the last run lent is released).
 * Thread-safe; every method returns at once.
 */
public final class NodeChunkService implements ChunkService {
  /** Largest piece of a resident chunk handed to the transport at once. */
  private static final int PIECE_BYTES = 1 << 20;

  private final List<ChunkStore> stores;
  private final ChunkCache cache;
  private final Replication replication;
  private final ReadLeases leases;

  /** @param leases this node's read leases: a fetch holds one on its file, so a collection waits for it */
  public NodeChunkService(List<ChunkStore> stores, ChunkCache cache, Replication replication, ReadLeases leases) {
    this.stores = List.copyOf(stores);
    this.cache = cache;
    this.replication = replication;
    this.leases = leases;
  }

  @Override
  public Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length) {
    ReadLeases.Lease lease = leases.acquire(chunk.fileId());
    Source<ByteString, NotUsed> bytes;
    Optional<CachedChunk> resident = cache.lookup(chunk);
    if (resident.isPresent()) {
      bytes = fromPages(resident.get(), offset, length);
    } else {
      bytes = Source.completionStage(holder(chunk, 0)).flatMapConcat(store -> store.source(chunk, offset, length));
    }
    return bytes.watchTermination((m, done) -> {
      done.whenComplete((d, e) -> lease.close());
      return m;
    }).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private static Source<ByteString, NotUsed> fromPages(CachedChunk chunk, long offset, long length) {
    return Source.from(pieces(chunk, offset, length))
        .map(ByteString::fromByteBuffer) // copies: the pages go back to the cache when the stream ends
        .watchTermination((m, done) -> {
          done.whenComplete((d, e) -> chunk.release());
          return m;
        })
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /**
   * A resident chunk's pages lent as they are (no copy), each run at most {@link #PIECE_BYTES}; a chunk
   * not resident streams from its store as {@link #read} does. The pages and the read lease stay held
   * until the stream ended and every run it emitted was released.
   */
  @Override
  public Source<PageRun, NotUsed> readPages(ChunkId chunk, long offset, long length) {
    ReadLeases.Lease lease = leases.acquire(chunk.fileId());
    Optional<CachedChunk> resident = cache.lookup(chunk);
    if (resident.isEmpty()) {
      return Source.completionStage(holder(chunk, 0))
          .flatMapConcat(store -> store.source(chunk, offset, length))
          .map(PageRun::of)
          .watchTermination((m, done) -> {
            done.whenComplete((d, e) -> lease.close());
            return m;
          })
          .mapMaterializedValue(m -> NotUsed.getInstance());
    }
    LentPages lent = new LentPages(resident.get(), lease);
    List<ByteBuffer> pieces;
    try {
      pieces = pieces(resident.get(), offset, length);
    } catch (RuntimeException e) {
      lent.release();
      return Source.failed(e);
    }
    return Source.from(pieces)
        .map(lent::lend)
        .watchTermination((m, done) -> {
          done.whenComplete((d, e) -> lent.release());
          return m;
        })
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /**
   * One resident chunk and its read lease, held while a read's stream runs and while any run it lent is
   * out: one hold for the stream and one per run; the last release lets go of both. Thread-safe.
   */
  private static final class LentPages {
    private final CachedChunk chunk;
    private final ReadLeases.Lease lease;
    private final AtomicInteger holds = new AtomicInteger(1);

    LentPages(CachedChunk chunk, ReadLeases.Lease lease) {
      this.chunk = chunk;
      this.lease = lease;
    }

    PageRun lend(ByteBuffer piece) {
      holds.incrementAndGet();
      AtomicBoolean released = new AtomicBoolean();
      return PageRun.held(piece, () -> {
        if (released.compareAndSet(false, true)) release();
      });
    }

    void release() {
      if (holds.decrementAndGet() == 0) {
        chunk.release();
        lease.close();
      }
    }
  }

  /** Views of a resident chunk's pages over {@code [offset, offset+length)} (cut at its end), each at most {@link #PIECE_BYTES}. */
  private static List<ByteBuffer> pieces(CachedChunk chunk, long offset, long length) {
    long end = Math.min(chunk.length(), offset + length);
    List<ByteBuffer> pieces = new ArrayList<>();
    if (end > offset) {
      for (ByteBuffer b : chunk.slices(offset, end - offset)) {
        for (int at = b.position(); at < b.limit(); at += PIECE_BYTES) {
          ByteBuffer piece = b.duplicate();
          piece.position(at).limit(Math.min(b.limit(), at + PIECE_BYTES));
          pieces.add(piece);
        }
      }
    }
    return pieces;
  }

  /** The first local store holding a replica (opening it reads no bytes but checks it is whole). */
  private CompletionStage<ChunkStore> holder(ChunkId chunk, int i) {
    if (i >= stores.size()) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no replica of chunk " + chunk
          + " on " + replication.peers().selfId()));
    }
    ChunkStore store = stores.get(i);
    return store.read(chunk, 0, 0).handle((b, e) -> e == null)
        .thenCompose(found -> found ? CompletableFuture.completedFuture(store) : holder(chunk, i + 1));
  }

  @Override
  public Sink<ByteString, CompletionStage<PushAck>> write(PushRequest request) {
    ReplicaChain chain;
    try {
      List<ReplicaLocation> hops = Hops.decode(request.context());
      if (hops.isEmpty() || !hops.get(0).node().equals(replication.peers().selfId())) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "push of " + request.chunk() + " names no replica on "
            + replication.peers().selfId() + ": " + hops);
      }
      chain = replication.open(request.chunk(), request.owner(), request.durable(), hops,
          OptionalLong.of(request.lengthBytes()),
          at -> localStore(at).openWriter(request.chunk(), request.owner(), request.durable()));
    } catch (RuntimeException e) {
      return Sink.<ByteString>cancelled().mapMaterializedValue(n -> CompletableFuture.<PushAck>failedFuture(e));
    }
    return Sink.<Done, ByteString>foldAsync(Done.getInstance(), (d, bytes) -> chain.append(bytes))
        .mapMaterializedValue(done -> done
            .thenCompose(d -> chain.finish())
            .handle((stored, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(new PushAck(request.chunk(), stored.lengthBytes(),
                    stored.crc32c(), Hops.encode(stored.durableAt())));
              }
              return chain.abort().thenCompose(x -> CompletableFuture.<PushAck>failedFuture(Failures.unwrap(error)));
            })
            .thenCompose(s -> s));
  }

  private ChunkStore localStore(ReplicaLocation at) {
    for (ChunkStore s : stores) if (s.id().equals(at.store())) return s;
    throw new TfsException(ErrorCode.NOT_FOUND, "no store " + at.store() + " on " + replication.peers().selfId());
  }
}
