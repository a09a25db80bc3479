package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * What this node serves to peers; the node implements it over its stores and cache. The transport
 * calls it from its own threads and runs the returned stages on the node's materializer, so both
 * methods must return at once (no blocking) and may be called concurrently.
 */
public interface ChunkService {
  /**
   * The verified bytes {@code [offset, offset+length)} of a chunk replica held here (fewer only at
   * the chunk's end). Fails with a {@link io.tensorfs.core.TfsException} (NOT_FOUND, CHECKSUM_MISMATCH,
   * ...) that the requester receives with the same code and message.
   */
  Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length);

  /**
   * The same bytes as {@link #read}, as runs the transport sends from without copying them first: a
   * service that holds the bytes in memory (cache pages) lends them until each run is released. Every
   * run emitted is released exactly once by the transport. This default adapts {@link #read}: its
   * elements are runs that hold nothing.
   */
  default Source<PageRun, NotUsed> readPages(ChunkId chunk, long offset, long length) {
    return read(chunk, offset, length).map(PageRun::of);
  }

  /**
   * Receives a replica pushed by a peer; the materialized stage completes when it is stored (and,
   * for chain replication, when the rest of the chain acknowledged — the service decides, the
   * transport only carries {@link PushRequest#context()}).
   */
  Sink<ByteString, CompletionStage<PushAck>> write(PushRequest request);
}
