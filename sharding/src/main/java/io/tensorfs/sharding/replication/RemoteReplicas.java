package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The replicas of a chunk held by other nodes, read as one store. A read is cut into segments of
 * {@link RemoteReadSettings#segmentBytes} fetched over the transport straight into the caller's buffer (the
 * cache's pages), several at once and from the replicas in turn, so that two holders each serve about half;
 * when a replica fails mid-way (its node died, a checksum failed) that segment goes on from the next replica
 * at the byte reached ({@link SpreadRead}). Reads only: the cache is handed one, after this node's own stores,
 * to load a chunk that this node has no clean replica of. Thread-safe; holds no state per read.
 */
public final class RemoteReplicas implements ChunkStore {
  private final List<ReplicaLocation> replicas;
  private final int spreadOver;
  private final Peers peers;

  /**
   * Segments spread over every replica.
   *
   * @param replicas the chunk's replicas on other nodes, in the order to hand segments to them
   * @param peers    this node's view of the other nodes, the transport to them and {@link Peers#remoteRead}
   */
  public RemoteReplicas(List<ReplicaLocation> replicas, Peers peers) {
    this(replicas, replicas.size(), peers);
  }

  /**
   * Segments spread over the first {@code spreadOver} replicas (e.g. the nodes holding the chunk in memory
   * for its readers); the others only take over a segment that those failed. A node listed twice (its memory
   * and its disk) is read once, at its first place: a fetch names the node, which serves from what it holds.
   */
  public RemoteReplicas(List<ReplicaLocation> replicas, int spreadOver, Peers peers) {
    List<ReplicaLocation> distinct = new ArrayList<>();
    Set<String> nodes = new HashSet<>();
    int spread = 0;
    for (int i = 0; i < replicas.size(); i++) {
      if (!nodes.add(replicas.get(i).node())) continue;
      distinct.add(replicas.get(i));
      if (i < spreadOver) spread++;
    }
    this.replicas = List.copyOf(distinct);
    this.spreadOver = Math.max(1, spread);
    this.peers = peers;
  }

  @Override
  public String id() {
    return "replicas on other nodes " + replicas;
  }

  /** The replicas read (one per node), in the order segments are handed to them. */
  public List<ReplicaLocation> replicas() {
    return replicas;
  }

  /**
   * Reads {@code [offset, offset + target.remaining())} of the chunk into {@code target} (a direct buffer: cache
   * pages), spread over the replicas segment by segment; {@code target}'s position moves past the bytes read
   * (fewer only at the chunk's end). Fails, once no fetch writes into {@code target} any more, with the last
   * failure of a segment that every replica failed.
   */
  @Override
  public CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target) {
    if (replicas.isEmpty()) {
      return CompletableFuture.failedFuture(
          new TfsException(ErrorCode.UNAVAILABLE, "no replica of chunk " + chunk + " on another node"));
    }
    return new SpreadRead(chunk, offset, target, replicas, spreadOver, peers, peers.remoteRead()).run();
  }

  /** Reads through {@link #readInto} into a heap buffer of its own, handed out without a further copy. */
  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    return readInto(chunk, offset, buffer).thenApply(n -> ByteString.fromArrayUnsafe(buffer.array(), 0, n));
  }

  /** The range in reads of one spread's worth ({@code segment-bytes} times {@code in-flight}) after another. */
  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    long step = (long) peers.remoteRead().segmentBytes() * peers.remoteRead().inFlight();
    return Source.unfoldAsync(offset, pos -> {
      long left = offset + length - pos;
      if (left <= 0) return CompletableFuture.completedFuture(Optional.empty());
      return read(chunk, pos, (int) Math.min(step, left)).thenApply(b -> b.isEmpty()
          ? Optional.empty()
          : Optional.of(Pair.create(pos + b.size(), b)));
    });
  }

  @Override
  public Path directory() {
    throw new UnsupportedOperationException("replicas on other nodes have no local directory");
  }

  @Override
  public int blockBytes() {
    return 0;
  }

  @Override
  public ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable) {
    throw new UnsupportedOperationException("replicas on other nodes are written through a replication chain");
  }

  @Override
  public CompletionStage<Done> deleteFile(FileId file) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("not a local store"));
  }

  @Override
  public CompletionStage<Map<FileId, StoredFile>> scan() {
    return CompletableFuture.completedFuture(Map.of());
  }

  @Override
  public long usableBytes() {
    return 0;
  }
}
