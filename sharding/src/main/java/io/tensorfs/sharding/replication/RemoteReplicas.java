package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas of a chunk held by other nodes, read as one store: bytes are fetched over the transport
 * from the first replica, and when it fails mid-way (its node died, a checksum failed) the read goes on
 * from the next replica at the offset reached. Reads only: the cache is handed one, after this node's
 * own stores, to load a chunk that this node has no clean replica of. Thread-safe; holds no state per read.
 */
public final class RemoteReplicas implements ChunkStore {
  private static final Logger log = LoggerFactory.getLogger(RemoteReplicas.class);
  /** Largest read asked of {@link #read} at once through {@link #source}. */
  private static final int SEGMENT_BYTES = 4 << 20;

  private final List<ReplicaLocation> replicas;
  private final Peers peers;
  private final Materializer materializer;

  /**
   * @param replicas the chunk's replicas on other nodes, in the order to try them
   * @param peers    this node's view of the other nodes and the transport to them
   */
  public RemoteReplicas(List<ReplicaLocation> replicas, Peers peers, Materializer materializer) {
    this.replicas = List.copyOf(replicas);
    this.peers = peers;
    this.materializer = materializer;
  }

  @Override
  public String id() {
    return "replicas on other nodes " + replicas;
  }

  /** The replicas read, in the order tried. */
  public List<ReplicaLocation> replicas() {
    return replicas;
  }

  @Override
  public CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target) {
    int start = target.position();
    return fill(chunk, offset, target, start, 0, null).thenApply(v -> target.position() - start);
  }

  /** Fills {@code target} from replica {@code i} on, each taking over where the one before stopped. */
  private CompletionStage<Void> fill(ChunkId chunk, long offset, ByteBuffer target, int start, int i, Throwable last) {
    if (i >= replicas.size()) {
      return CompletableFuture.failedFuture(last != null ? last
          : new TfsException(ErrorCode.UNAVAILABLE, "no replica of chunk " + chunk + " on another node"));
    }
    ReplicaLocation from = replicas.get(i);
    long at = offset + (target.position() - start);
    Source<ByteString, NotUsed> bytes;
    try {
      bytes = peers.transport().fetch(peers.endpointOf(from.node()), chunk, at, target.remaining());
    } catch (TfsException e) {
      return fill(chunk, offset, target, start, i + 1, e);
    }
    return bytes.runForeach(b -> b.copyToBuffer(target), materializer)
        .handle((done, e) -> {
          if (e == null) return CompletableFuture.<Void>completedFuture(null);
          Throwable cause = Failures.unwrap(e);
          log.warn("replica of {} on {} failed at offset {}: {}; going on from the next replica", chunk, from.node(),
              offset + (target.position() - start), cause.getMessage());
          return fill(chunk, offset, target, start, i + 1, cause);
        })
        .thenCompose(s -> s);
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    return readInto(chunk, offset, buffer).thenApply(n -> {
      buffer.flip();
      return ByteString.fromByteBuffer(buffer);
    });
  }

  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    return Source.unfoldAsync(offset, pos -> {
      long left = offset + length - pos;
      if (left <= 0) return CompletableFuture.completedFuture(java.util.Optional.empty());
      return read(chunk, pos, (int) Math.min(SEGMENT_BYTES, left)).thenApply(b -> b.isEmpty()
          ? java.util.Optional.empty()
          : java.util.Optional.of(org.apache.pekko.japi.Pair.create(pos + b.size(), b)));
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
