package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.Fetched;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read of a chunk range from other nodes' replicas into a caller's buffer (cache pages): the range is cut
 * into segments, each fetched with {@code Transport.fetchInto} straight into its slice of the buffer, up to
 * {@link RemoteReadSettings#inFlight} at once, handed to the spread-over replicas in turn so that each serves its
 * share (the others only take over), and waiting their turn behind this node's other fetches from that replica's
 * node when {@link RemoteReadSettings#perNode} are in flight there ({@link NodeWindows}). A
 * segment whose replica stops early goes on from the next replica that has not failed it, at the byte reached;
 * a replica that failed once is passed over for the rest of the read while another can serve. The read fails
 * only when every replica failed one segment, and completes (either way) only once no fetch writes into the
 * buffer any more.
 *
 * <p>Thread-safety: the fetches complete on the transport's threads; the read's state is guarded by this
 * object's monitor, and fetches are started and the result completed outside it.
 */
final class SpreadRead {
  private static final Logger log = LoggerFactory.getLogger(SpreadRead.class);

  /** A segment of the range: {@code [from, from + length)} bytes from the start of the target. */
  private static final class Segment {
    final int from;
    final int length;
    /** Bytes of it in the target, verified, from {@link #from} on. */
    int reached;
    /** The replica fetching it now. */
    int replica;
    /** The replicas that failed it. */
    final boolean[] failed;

    Segment(int from, int length, int replica, int replicas) {
      this.from = from;
      this.length = length;
      this.replica = replica;
      this.failed = new boolean[replicas];
    }
  }

  private final ChunkId chunk;
  private final long offset;
  private final ByteBuffer target;
  private final int start;
  private final int length;
  private final List<ReplicaLocation> replicas;
  /** New segments go to the first this many replicas; the rest only take over failed segments. */
  private final int spreadOver;
  private final Peers peers;
  private final RemoteReadSettings settings;
  private final CompletableFuture<Integer> result = new CompletableFuture<>();

  /** Replicas that failed some segment of this read (passed over for the next ones while others serve). */
  private final boolean[] failedOnce;
  /** Where the next segment starts, from the start of the target. */
  private int next;
  /** The replica the next segment goes to first, round-robin (from the chunk's index with rotate). */
  private int turn;
  private int running;
  /** Where the chunk ends, from the start of the target, once a fetch came back short with no failure. */
  private int end;
  /** The failure of a segment that no replica served: the read stops starting segments. */
  private Throwable failure;
  private boolean finished;

  SpreadRead(ChunkId chunk, long offset, ByteBuffer target, List<ReplicaLocation> replicas, int spreadOver,
      Peers peers, RemoteReadSettings settings) {
    this.chunk = chunk;
    this.offset = offset;
    this.target = target;
    this.start = target.position();
    this.length = target.remaining();
    this.replicas = replicas;
    this.spreadOver = Math.min(spreadOver, replicas.size());
    this.peers = peers;
    this.settings = settings;
    this.failedOnce = new boolean[replicas.size()];
    this.end = length;
    // With rotate, successive chunks start at successive replicas: a file's chunks are served by all its holders.
    this.turn = settings.rotate() ? Math.floorMod(chunk.index(), this.spreadOver) : 0;
  }

  /** Starts the read; completes with the bytes read (fewer than the target's room only at the chunk's end). */
  CompletionStage<Integer> run() {
    List<Segment> first;
    synchronized (this) {
      first = startMore();
    }
    for (Segment s : first) fetch(s);
    finishIfDone();
    return result;
  }

  /** The segments to start now, counted as running (called holding the monitor). */
  private List<Segment> startMore() {
    List<Segment> out = new ArrayList<>();
    while (failure == null && running < settings.inFlight() && next < end) {
      int n = Math.min(settings.segmentBytes(), end - next);
      out.add(new Segment(next, n, firstReplica(), replicas.size()));
      next += n;
      running++;
    }
    return out;
  }

  /**
   * The next of the spread-over replicas in turn that has not failed this read; else the first other one that
   * has not; else (all failed some segment) the next in turn, which may still serve this one.
   */
  private int firstReplica() {
    int r = -1;
    for (int k = 0; k < spreadOver && r < 0; k++) {
      int i = (turn + k) % spreadOver;
      if (!failedOnce[i]) r = i;
    }
    for (int i = spreadOver; i < replicas.size() && r < 0; i++) {
      if (!failedOnce[i]) r = i;
    }
    if (r < 0) r = turn % replicas.size();
    turn = (r + 1) % spreadOver;
    return r;
  }

  /**
   * The replica to go on with {@code s}, among those that have not failed it, after its own in order: a
   * spread-over one that never failed this read first, then another that never did, then one that failed only
   * other segments; -1 when none is left.
   */
  private int nextReplica(Segment s) {
    int best = -1;
    int bestRank = Integer.MAX_VALUE;
    for (int k = 1; k < replicas.size(); k++) {
      int i = (s.replica + k) % replicas.size();
      if (s.failed[i]) continue;
      int rank = failedOnce[i] ? 2 : i < spreadOver ? 0 : 1;
      if (rank < bestRank) {
        best = i;
        bestRank = rank;
      }
    }
    return best;
  }

  private void fetch(Segment s) {
    ReplicaLocation from = replicas.get(s.replica);
    int at = s.from + s.reached;
    ByteBuffer slice = target.duplicate();
    slice.limit(start + s.from + s.length).position(start + at);
    ByteBuffer into = slice.slice();
    CompletionStage<Fetched> fetched = peers.windows().admit(from.node(), () -> {
      try {
        return peers.transport().fetchInto(peers.endpointOf(from.node()), chunk, offset + at, into);
      } catch (RuntimeException e) { // the node left, or the transport is not up: this replica cannot serve
        return CompletableFuture.completedFuture(new Fetched(0, asTfs(e)));
      }
    });
    fetched.whenComplete((f, e) -> onFetched(s, e == null ? f : new Fetched(0, asTfs(e))));
  }

  private void onFetched(Segment s, Fetched f) {
    boolean again = false;
    List<Segment> more;
    synchronized (this) {
      s.reached += f.bytes();
      if (pastTheEnd(f)) {
        end = Math.min(end, s.from + s.reached); // asked from past the chunk's end: it ends before this segment
      } else if (f.failure() != null && s.reached < s.length && s.from + s.reached < end) {
        ReplicaLocation from = replicas.get(s.replica);
        s.failed[s.replica] = true;
        failedOnce[s.replica] = true;
        int to = nextReplica(s);
        log.warn("replica of {} on {} failed at offset {}: {}; {}", chunk, from.node(), offset + s.from + s.reached,
            f.failure().getMessage(), to < 0 ? "no other replica serves it" : "going on from " + replicas.get(to).node());
        if (to < 0 || failure != null) {
          if (failure == null) failure = f.failure(); // the read fails: the other segments only finish
        } else {
          s.replica = to;
          again = true;
        }
      } else if (f.failure() == null && s.reached < s.length) {
        end = Math.min(end, s.from + s.reached); // the chunk ends here
      }
      if (!again) running--;
      more = startMore();
    }
    if (again) fetch(s);
    for (Segment m : more) fetch(m);
    finishIfDone();
  }

  /**
   * Whether a fetch was refused because it starts past the chunk's end (a store answers so rather than with
   * nothing): segments are cut from the target's room before the chunk's length is known, so a read of a
   * chunk's last page asks that of those beyond it. The chunk then ends where this segment starts.
   */
  private static boolean pastTheEnd(Fetched f) {
    return f.bytes() == 0 && f.failure() != null && f.failure().code() == ErrorCode.RANGE_NOT_SATISFIABLE;
  }

  /** Completes the read once nothing runs and nothing is left to start. */
  private void finishIfDone() {
    Throwable failed;
    int count;
    synchronized (this) {
      if (finished || running > 0 || (failure == null && next < end)) return;
      finished = true;
      failed = failure;
      count = end;
    }
    if (failed != null) {
      result.completeExceptionally(failed);
    } else {
      target.position(start + count);
      result.complete(count);
    }
  }

  private static TfsException asTfs(Throwable e) {
    Throwable cause = Failures.unwrap(e);
    return cause instanceof TfsException t ? t
        : new TfsException(ErrorCode.UNAVAILABLE, String.valueOf(cause.getMessage()), cause);
  }
}
