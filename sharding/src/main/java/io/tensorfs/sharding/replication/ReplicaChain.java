package io.tensorfs.sharding.replication;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.metrics.ReplicationMetrics;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.WrittenReplica;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chunk written along a replication chain, as seen from one link: the replicas placed on this node
 * are written here, and the bytes are forwarded, as they arrive, to the next node of the chain, which
 * does the same with the rest. {@link #finish} completes once this node's replicas are durable and the
 * rest of the chain answered: its {@link Stored#durableAt()} names every replica that has the bytes.
 *
 * <p>A link downstream that fails (its node died, its disk failed) drops out of the chain: the bytes
 * still complete on this node and the links before it, and it is simply not named as durable. A
 * failure of this node's own replicas fails the chain. Calls are sequential, like a {@link ChunkWriter}'s.
 */
public final class ReplicaChain {
  private static final Logger log = LoggerFactory.getLogger(ReplicaChain.class);

  /** What the chain stored: the bytes' length and CRC32C, and the replicas that hold them durably. */
  public record Stored(long lengthBytes, int crc32c, List<ReplicaLocation> durableAt) {
    public Stored {
      durableAt = List.copyOf(durableAt);
    }
  }

  private final ChunkId chunk;
  private final List<ReplicaLocation> localAt;
  private final List<ChunkWriter> local;
  private final String nextNode;
  private final Function<Long, CompletionStage<Stored>> deferredForward;
  private PushWriter forward;
  private Throwable forwardFailure;
  private final long startNanos = System.nanoTime();
  private long appendedBytes;

  ReplicaChain(ChunkId chunk, List<ReplicaLocation> localAt, List<ChunkWriter> local, String nextNode,
      PushWriter forward, Function<Long, CompletionStage<Stored>> deferredForward) {
    this.chunk = chunk;
    this.localAt = List.copyOf(localAt);
    this.local = List.copyOf(local);
    this.nextNode = nextNode;
    this.forward = forward;
    this.deferredForward = deferredForward;
  }

  public CompletionStage<Done> append(ByteString bytes) {
    appendedBytes += bytes.size();
    List<CompletableFuture<Done>> steps = new ArrayList<>(local.size() + 1);
    for (ChunkWriter w : local) steps.add(w.append(bytes).toCompletableFuture());
    if (forward != null) steps.add(forwardAppend(bytes));
    if (steps.size() == 1) return steps.get(0);
    return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  private CompletableFuture<Done> forwardAppend(ByteString bytes) {
    CompletableFuture<Done> sent = forward.append(bytes).toCompletableFuture();
    if (local.isEmpty()) return sent;
    return sent.exceptionally(e -> {
      dropForward(e);
      return Done.getInstance();
    });
  }

  private void dropForward(Throwable e) {
    if (forward == null) return;
    log.warn("chunk {}: the chain past this node (next {}) failed, continuing without it: {}", chunk, nextNode,
        Failures.unwrap(e).getMessage());
    forward.abort();
    forward = null;
    forwardFailure = Failures.unwrap(e);
  }

  /** Ends the chunk: this node's replicas durable, then the rest of the chain's answer. */
  public CompletionStage<Stored> finish() {
    return ReplicationMetrics.chainWrite(startNanos, appendedBytes, finishChain());
  }

  private CompletionStage<Stored> finishChain() {
    List<CompletableFuture<WrittenReplica>> written = new ArrayList<>();
    for (ChunkWriter w : local) written.add(w.finish().toCompletableFuture());
    PushWriter pushing = forward;
    CompletionStage<Stored> rest = pushing == null ? null : pushing.finish().thenApply(ack ->
        new Stored(ack.lengthBytes(), ack.crc32c(), Hops.decode(ack.context())));
    if (local.isEmpty()) {
      if (rest == null) return CompletableFuture.failedFuture(forwardFailure != null ? forwardFailure
          : new TfsException(ErrorCode.INTERNAL, "chunk " + chunk + ": a chain with no replica"));
      return rest;
    }
    return CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      List<WrittenReplica> here = written.stream().map(f -> f.getNow(null)).toList(); // all complete: allOf has
      WrittenReplica first = here.get(0);
      for (WrittenReplica r : here) {
        if (r.lengthBytes() != first.lengthBytes() || r.crc32c() != first.crc32c()) {
          throw new TfsException(ErrorCode.IO_ERROR, "replicas of " + chunk + " on this node disagree");
        }
      }
      CompletionStage<Stored> downstream = rest != null ? rest
          : deferredForward != null ? deferredForward.apply(first.lengthBytes()) : null;
      if (downstream == null) return CompletableFuture.completedFuture(new Stored(first.lengthBytes(), first.crc32c(), localAt));
      return downstream.handle((s, e) -> joined(first, s, e));
    });
  }

  private Stored joined(WrittenReplica here, Stored downstream, Throwable error) {
    List<ReplicaLocation> durable = new ArrayList<>(localAt);
    if (error != null) {
      log.warn("chunk {}: the chain past this node (next {}) failed: {}", chunk, nextNode, Failures.unwrap(error).getMessage());
    } else if (downstream.lengthBytes() != here.lengthBytes() || downstream.crc32c() != here.crc32c()) {
      log.warn("chunk {}: the chain past this node stored other bytes ({} bytes, crc {}); it is left out", chunk,
          downstream.lengthBytes(), Integer.toHexString(downstream.crc32c()));
    } else {
      durable.addAll(downstream.durableAt());
    }
    return new Stored(here.lengthBytes(), here.crc32c(), durable);
  }

  /** Drops what was written here and tells the rest of the chain to do the same. */
  public CompletionStage<Done> abort() {
    if (forward != null) forward.abort();
    forward = null;
    List<CompletableFuture<Done>> steps = new ArrayList<>();
    for (ChunkWriter w : local) steps.add(w.abort().toCompletableFuture());
    return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).handle((v, e) -> Done.getInstance());
  }
}
