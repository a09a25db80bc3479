package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.metrics.FetchMetrics;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.DiskTurn;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.cache.CachedChunk;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.StreamEnds;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
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
  /** Bytes of the region serve buffers are cut from (more in use at once are allocated per read). */
  private static final long SERVE_REGION_BYTES = 64 << 20;

  private final ServeSettings serve;
  private final ServeBuffers serveBuffers;
  /** Per disk store, the turns its reads for fetches take ({@link ServeSettings#readsPerStore}). */
  private final Map<ChunkStore, DiskTurns> diskTurns = new IdentityHashMap<>();

  private final List<ChunkStore> stores;
  private final ChunkCache cache;
  private final Replication replication;
  private final ReadLeases leases;

  /** @param leases this node's read leases: a fetch holds one on its file, so a collection waits for it */
  public NodeChunkService(List<ChunkStore> stores, ChunkCache cache, Replication replication, ReadLeases leases) {
    this(stores, cache, replication, leases, ServeSettings.DEFAULTS);
  }

  /** @param serve how a chunk that is not resident is read from disk to be served */
  public NodeChunkService(List<ChunkStore> stores, ChunkCache cache, Replication replication, ReadLeases leases,
      ServeSettings serve) {
    this.serve = serve;
    this.serveBuffers = new ServeBuffers(serve.segmentBytes(), SERVE_REGION_BYTES);
    this.stores = List.copyOf(stores);
    // Disk stores only (they have blocks): the KV blocks in memory answer at once.
    for (ChunkStore s : this.stores) {
      if (s.blockBytes() > 0 && serve.readsPerStore() < Integer.MAX_VALUE) diskTurns.put(s, new DiskTurns(serve.readsPerStore()));
    }
    this.cache = cache;
    this.replication = replication;
    this.leases = leases;
  }

  /**
   * The memory chunks served from disk are read into and lent from (besides the cache's page pool): a
   * transport may send from it in place (TCP) or register it (RDMA). Taken once, never freed.
   */
  public List<ByteBuffer> servingRegions() {
    return serveBuffers.regions();
  }

  /** Serve buffers of the region not lent now: all of them once every read from disk is done and released. */
  int freeServeSlots() {
    return serveBuffers.freeSlots();
  }

  /** {@link #readPages}, each run copied onto the heap and released at once. */
  @Override
  public Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length) {
    return readPages(chunk, offset, length).map(run -> {
      try {
        return ByteString.fromByteBuffer(run.bytes());
      } finally {
        run.release();
      }
    });
  }

  /**
   * A resident chunk's pages lent as they are (no copy), each run at most {@link #PIECE_BYTES}; a chunk
   * not resident is read from its store O_DIRECT into direct buffers and lent from them
   * ({@link #fromStore}). The pages and the read lease stay held until the stream ended and every run it
   * emitted was released.
   */
  @Override
  public Source<PageRun, NotUsed> readPages(ChunkId chunk, long offset, long length) {
    ReadLeases.Lease lease = leases.acquire(chunk.fileId());
    Optional<CachedChunk> resident = cache.lookup(chunk);
    if (resident.isEmpty()) {
      UnclaimedRuns unclaimed = new UnclaimedRuns();
      Source<PageRun, NotUsed> runs = fromStores(chunk, offset, length, unclaimed).map(unclaimed::handOn);
      return StreamEnds.whenEnded(runs, () -> {
        unclaimed.end();
        lease.close();
      });
    }
    LentPages lent = new LentPages(resident.get(), lease);
    List<ByteBuffer> pieces;
    try {
      pieces = pieces(resident.get(), offset, length);
    } catch (RuntimeException e) {
      lent.release();
      return Source.failed(e);
    }
    return StreamEnds.whenEnded(Source.from(pieces).map(lent::lend), lent::release);
  }

  /**
   * {@code [offset, offset+length)} of a chunk from the first of this node's stores that holds it: its first
   * segment is read from each store in turn until one does not answer {@code NOT_FOUND}, the rest from that
   * store ({@link #fromStore}). No store is asked beforehand whether it holds the chunk: on a node whose
   * disk reads queue, that question waited in the queue as long as the read itself (measured on 16 cores:
   * a served fetch spent 7-42 ms before its read was even asked; README, "Several nodes").
   */
  private Source<PageRun, NotUsed> fromStores(ChunkId chunk, long offset, long length, UnclaimedRuns unclaimed) {
    long end = offset + length;
    int segment = serveBuffers.bytes();
    long next = offset + segment;
    int wanted = (int) Math.min(segment, end - offset);
    return Source.completionStage(firstSegment(chunk, offset, wanted, 0, unclaimed))
        .flatMapConcat(first -> {
          Source<PageRun, NotUsed> head = Source.single(first.run()).filter(run -> run.bytes().hasRemaining());
          // A first run shorter than asked: the chunk ends there.
          if (first.run().bytes().remaining() < wanted || next >= end) return head;
          return head.concat(fromStore(first.store(), chunk, next, end - next, unclaimed));
        })
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** The first segment of a read and the store that answered it. */
  private record Found(ChunkStore store, PageRun run) {}

  private CompletionStage<Found> firstSegment(ChunkId chunk, long offset, int wanted, int i, UnclaimedRuns unclaimed) {
    ChunkStore store = stores.get(i);
    return readSegment(store, chunk, offset, wanted, true, unclaimed).handle((run, failure) -> {
      if (failure == null) return CompletableFuture.completedFuture(new Found(store, run));
      Throwable cause = Failures.unwrap(failure);
      if (TfsException.codeOf(cause) != ErrorCode.NOT_FOUND) return CompletableFuture.<Found>failedFuture(cause);
      if (i + 1 < stores.size()) return firstSegment(chunk, offset, wanted, i + 1, unclaimed);
      return CompletableFuture.<Found>failedFuture(stores.size() == 1 ? cause
          : new TfsException(ErrorCode.NOT_FOUND, "no replica of chunk " + chunk + " on any of this node's "
              + stores.size() + " stores"));
    }).thenCompose(f -> f);
  }

  /**
   * {@code [offset, offset+length)} of a chunk read from {@code store} in segments of
   * {@link ServeSettings#segmentBytes}, {@link ServeSettings#inFlight} at once, each straight into a direct buffer
   * (O_DIRECT, verified there) lent as a run that gives the buffer back when released: no heap copy, and
   * the disk reads ahead of the wire. The stream ends at the chunk's end (a segment from there on is empty).
   * Each run read is counted in {@code unclaimed} until the caller's stream hands it on.
   */
  private Source<PageRun, NotUsed> fromStore(ChunkStore store, ChunkId chunk, long offset, long length,
      UnclaimedRuns unclaimed) {
    long end = offset + length;
    int segment = serveBuffers.bytes();
    return Source.unfold(offset, at -> at < end
            ? Optional.of(Pair.create(at + segment, at))
            : Optional.<Pair<Long, Long>>empty())
        .mapAsync(serve.inFlight(), at -> readSegment(store, chunk, at, (int) Math.min(segment, end - at), false, unclaimed))
        .takeWhile(run -> run.bytes().hasRemaining()); // the chunk ended: the segments after hold no buffer either
  }

  /**
   * One segment read from {@code store} into a serve buffer, once the store has a turn free
   * ({@link ServeSettings#readsPerStore}; a read waiting for its turn holds no buffer). Only the read's time at
   * the disk is rationed: it opens its replica before, and its checksums are computed after.
   */
  private CompletionStage<PageRun> readSegment(ChunkStore store, ChunkId chunk, long at, int wanted, boolean first,
      UnclaimedRuns unclaimed) {
    long asked = System.nanoTime();
    DiskTurns turns = diskTurns.get(store);
    if (turns == null) return readNow(store, chunk, at, wanted, first, unclaimed, asked, DiskTurn.NONE);
    return turns.take(turn -> readNow(store, chunk, at, wanted, first, unclaimed, asked, turn));
  }

  private CompletionStage<PageRun> readNow(ChunkStore store, ChunkId chunk, long at, int wanted, boolean first,
      UnclaimedRuns unclaimed, long asked, DiskTurn turn) {
    ServeBuffers.Buffer taken = serveBuffers.take();
    ByteBuffer buffer = taken.bytes();
    // What was asked, rounded up to the store's blocks, so that the read lands straight in the buffer and a
    // small fetch does not read a whole buffer's worth from the disk.
    int block = Math.max(4096, store.blockBytes());
    buffer.limit((int) Math.min(buffer.capacity(), ((long) Math.max(wanted, 1) + block - 1) / block * block));
    CompletionStage<Integer> read;
    try {
      read = store.readInto(chunk, at, buffer, turn);
    } catch (RuntimeException e) {
      read = CompletableFuture.failedFuture(e);
    }
    return read.handle((count, failure) -> {
      long readDone = System.nanoTime();
      if (failure == null || TfsException.codeOf(Failures.unwrap(failure)) != ErrorCode.NOT_FOUND) {
        FetchMetrics.SERVE_READ.record(readDone - asked); // a store that does not hold the chunk read nothing
      }
      if (failure != null) {
        taken.give();
        if (!first && TfsException.codeOf(Failures.unwrap(failure)) == ErrorCode.RANGE_NOT_SATISFIABLE) {
          return PageRun.unheld(EMPTY); // past the chunk's end
        }
        throw failure instanceof java.util.concurrent.CompletionException c ? c
            : new java.util.concurrent.CompletionException(failure);
      }
      ByteBuffer run = buffer.duplicate().position(0).limit(Math.min(count, Math.max(wanted, 0)));
      if (!run.hasRemaining()) {
        taken.give();
        return PageRun.unheld(EMPTY);
      }
      AtomicBoolean released = new AtomicBoolean();
      return unclaimed.add(PageRun.held(run, () -> {
        if (released.compareAndSet(false, true)) {
          FetchMetrics.SERVE_LENT.recordSince(readDone);
          taken.give();
        }
      }));
    });
  }

  /**
   * The runs one stream from a store has read and not yet handed to its consumer. The stages between the
   * reads and the consumer ({@code mapAsync}, {@code flatMapConcat}) drop what they hold when the stream is
   * cancelled: reads in flight, reads done and not yet taken, a run on its way. So each run is counted here
   * from its read until the stream's last stage hands it on, and those left when the stream ends are
   * released: at the end, or as its read completes for one still in flight. Reads complete on the store's
   * threads; handOn and end run on the stream's.
   */
  private static final class UnclaimedRuns {
    private final Set<PageRun> waiting = ConcurrentHashMap.newKeySet();
    private volatile boolean ended;

    PageRun add(PageRun run) {
      waiting.add(run);
      if (ended && waiting.remove(run)) run.release(); // whoever removes it releases it, once
      return run;
    }

    PageRun handOn(PageRun run) {
      waiting.remove(run);
      return run;
    }

    void end() {
      ended = true;
      for (PageRun run : waiting) {
        if (waiting.remove(run)) run.release();
      }
    }
  }

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  /**
   * The reads of one disk store for fetches: at most {@code atTheDisk} at the disk at once (inside their
   * {@link DiskTurn}), and one more under way beside them, opening its replica so that it is ready when the disk
   * frees; the others wait, in the order asked, and start as running ones end. Reads reach the disk in the
   * order they started (each takes a ticket as it starts; one that ends without asking the disk gives its
   * ticket up), so the disk reads a file's pieces in the order its readers asked for them. A read is started on
   * the thread that ended the one before (a disk store ends its reads on its own threads; only one that fails
   * at once, as when shutting down, nests the next start in the call that ended it). Thread-safe: all state is
   * guarded by this object's monitor; reads are started outside it, and a read opened ahead waits on it, on
   * the store's thread (at most one such read per store).
   */
  private static final class DiskTurns {
    private final int atTheDisk;
    /** Reads under way at once: those at the disk and the one opening beside them. */
    private final int underWay;
    private int running;
    private final ArrayDeque<LongConsumer> waiting = new ArrayDeque<>();
    /** The ticket the next read to start takes. */
    private long issued;
    /** The ticket whose read may enter the disk next (once fewer than {@code atTheDisk} are there). */
    private long nextToEnter;
    /** Tickets after {@code nextToEnter} given up by reads that ended without asking the disk. */
    private final Set<Long> givenUp = new java.util.HashSet<>();
    private int inside;

    DiskTurns(int atTheDisk) {
      this.atTheDisk = atTheDisk;
      this.underWay = atTheDisk + 1;
    }

    /** {@code read} is given its turn at the disk, to enter and leave around its time there. */
    <T> CompletionStage<T> take(Function<DiskTurn, CompletionStage<T>> read) {
      CompletableFuture<T> result = new CompletableFuture<>();
      LongConsumer start = ticket -> {
        Turn turn = new Turn(ticket);
        CompletionStage<T> running;
        try {
          running = read.apply(turn);
        } catch (RuntimeException e) {
          running = CompletableFuture.failedFuture(e);
        }
        running.whenComplete((value, failure) -> {
          turn.end();
          passOn();
          if (failure != null) {
            result.completeExceptionally(failure);
          } else {
            result.complete(value);
          }
        });
      };
      long ticket = -1;
      synchronized (this) {
        if (running < underWay) {
          running++;
          ticket = issued++;
        } else {
          waiting.addLast(start);
        }
      }
      if (ticket >= 0) start.accept(ticket);
      return result;
    }

    /** A read ended: the next waiting one takes its turn, else the turn frees. */
    private void passOn() {
      LongConsumer next;
      long ticket = -1;
      synchronized (this) {
        next = waiting.pollFirst();
        if (next == null) {
          running--;
        } else {
          ticket = issued++;
        }
      }
      if (next != null) next.accept(ticket);
    }

    /** Moves {@code nextToEnter} past the tickets given up. Under the monitor. */
    private void skipGivenUp() {
      while (givenUp.remove(nextToEnter)) nextToEnter++;
    }

    /** One read's turn: entered at most once, left at most once; given up if never entered. */
    private final class Turn implements DiskTurn {
      private final long ticket;
      private boolean entered;
      private boolean done;

      Turn(long ticket) {
        this.ticket = ticket;
      }

      @Override
      public void enter() throws InterruptedException {
        synchronized (DiskTurns.this) {
          if (entered || done) throw new IllegalStateException("a read enters its disk turn once");
          while (nextToEnter != ticket || inside >= atTheDisk) DiskTurns.this.wait();
          entered = true;
          inside++;
          nextToEnter++;
          skipGivenUp();
          DiskTurns.this.notifyAll(); // the next ticket may enter too, where more than one read may be there
        }
      }

      @Override
      public void leave() {
        synchronized (DiskTurns.this) {
          if (!entered || done) return;
          done = true;
          inside--;
          DiskTurns.this.notifyAll();
        }
      }

      /** The read completed: it leaves the disk, or gives up its ticket if it never asked the disk. */
      void end() {
        synchronized (DiskTurns.this) {
          if (entered) {
            leave();
          } else if (!done) {
            done = true;
            givenUp.add(ticket);
            skipGivenUp();
            DiskTurns.this.notifyAll();
          }
        }
      }
    }
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
