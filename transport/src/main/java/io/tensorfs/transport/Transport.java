package io.tensorfs.transport;

import io.tensorfs.core.ChunkId;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Moves chunk bytes between nodes. Each materialization of {@link #fetch} or {@link #push} is one
 * transfer; bytes flow only as fast as the receiving side demands them (credit-based flow control),
 * every data frame carries a CRC32C that the receiver verifies, and a failure on the far side arrives
 * as a {@link io.tensorfs.core.TfsException} with the far side's code and message. Thread-safe.
 */
public interface Transport extends AutoCloseable {
  /** {@code aeron-ipc}, {@code aeron-udp} or {@code tcp}. */
  String kind();

  /** What a peer passes as {@code peer} to reach this node, e.g. {@code aeron-udp://10.0.0.2:40123?...}. */
  String localEndpoint();

  /**
   * The bytes {@code [offset, offset+length)} of a chunk replica held by {@code peer} (fewer only at
   * the chunk's end). The request is sent when the source is materialized.
   */
  Source<ByteString, NotUsed> fetch(String peer, ChunkId chunk, long offset, long length);

  /**
   * The bytes {@code [offset, offset + target.remaining())} of a chunk replica held by {@code peer}, written
   * straight into {@code target} (a direct buffer: cache pages) from its position on; neither its position
   * nor its limit moves. Each DATA frame's payload goes from the wire into {@code target} and its CRC32C is
   * checked there. The stage never fails: it completes with how many bytes arrived in order and verified,
   * and with the failure that stopped it early, so a caller can go on from another replica at that byte.
   * The caller keeps {@code target} alive and untouched until the stage completes.
   */
  CompletionStage<Fetched> fetchInto(String peer, ChunkId chunk, long offset, java.nio.ByteBuffer target);

  /**
   * Pushes a replica to {@code peer}. The stream must carry exactly {@code request.lengthBytes()}
   * bytes; the materialized stage completes with the peer's acknowledgement.
   */
  Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request);

  /** Fails transfers in flight with UNAVAILABLE, tells their peers, and releases threads and ports. */
  @Override
  void close();
}
