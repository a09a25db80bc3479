package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.transport.PushRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Keep;

/**
 * Opens replication chains on this node: the replicas placed here are written by local writers, the
 * others reached through the transport, in chain order. Thread-safe.
 */
public final class Replication {
  private final Peers peers;
  private final Function<String, ChunkStore> localStores;
  private final Materializer materializer;

  public Replication(Peers peers, Function<String, ChunkStore> localStores, Materializer materializer) {
    this.peers = peers;
    this.localStores = localStores;
    this.materializer = materializer;
  }

  public Peers peers() {
    return peers;
  }

  /**
   * Opens the chain {@code hops} (placement order). The hops on this node get the writers
   * {@code localWriter} opens; the first other node is pushed to as the bytes come, with the rest of
   * the chain as the push's context. When {@code lengthBytes} is unknown (a push must announce its
   * length) and this node holds a replica, the rest of the chain is pushed from that replica once it is
   * durable; without a local replica the length is required.
   */
  public ReplicaChain open(ChunkId chunk, TfsPath owner, boolean durable, List<ReplicaLocation> hops,
      OptionalLong lengthBytes, Function<ReplicaLocation, ChunkWriter> localWriter) {
    List<ReplicaLocation> here = new ArrayList<>();
    List<ReplicaLocation> rest = new ArrayList<>();
    for (ReplicaLocation h : hops) (h.node().equals(peers.selfId()) ? here : rest).add(h);
    if (here.isEmpty() && lengthBytes.isEmpty()) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "chunk " + chunk + " has no replica on this node: its length must be known");
    }
    List<ChunkWriter> writers = new ArrayList<>();
    try {
      for (ReplicaLocation h : here) writers.add(localWriter.apply(h));
    } catch (RuntimeException e) {
      writers.forEach(ChunkWriter::abort);
      throw e;
    }
    if (!here.isEmpty()) {
      // A link whose node already left cannot take its place in the chain: skip it (repair adds it later).
      rest.removeIf(h -> !peers.isLive(h.node()));
    }
    if (rest.isEmpty()) return new ReplicaChain(chunk, here, writers, null, null, null);
    String next = rest.get(0).node();
    if (lengthBytes.isPresent()) {
      PushWriter forward = pushWriter(next, new PushRequest(chunk, owner, durable, lengthBytes.getAsLong(),
          Hops.encode(rest)), here.isEmpty());
      return new ReplicaChain(chunk, here, writers, next, forward, null);
    }
    Function<Long, CompletionStage<ReplicaChain.Stored>> later =
        length -> pushFrom(here.get(0), chunk, owner, durable, length, rest);
    return new ReplicaChain(chunk, here, writers, next, null, later);
  }

  /** A push to {@code node}; null when it cannot even start and a local replica carries on without it. */
  private PushWriter pushWriter(String node, PushRequest request, boolean required) {
    try {
      return new PushWriter(peers.transport(), node, peers.endpointOf(node), request, materializer);
    } catch (TfsException e) {
      if (required) throw e;
      return null;
    }
  }

  /** Pushes the {@code lengthBytes} bytes of a durable local replica along {@code rest} of its chain. */
  public CompletionStage<ReplicaChain.Stored> pushFrom(ReplicaLocation source, ChunkId chunk, TfsPath owner,
      boolean durable, long lengthBytes, List<ReplicaLocation> rest) {
    try {
      ChunkStore store = localStores.apply(source.store());
      String next = rest.get(0).node();
      PushRequest request = new PushRequest(chunk, owner, durable, lengthBytes, Hops.encode(rest));
      return store.source(chunk, 0, lengthBytes)
          .toMat(peers.transport().push(peers.endpointOf(next), request), Keep.right())
          .run(materializer)
          .thenApply(ack -> new ReplicaChain.Stored(ack.lengthBytes(), ack.crc32c(), Hops.decode(ack.context())));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
