package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gateway.grpc.DirectGpuReads;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.operator.NodeOperator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A preadv with FLAG_CUFILE: the range cut at chunk and element boundaries, each piece read with cuFile from
 * the chunk's replica file on this node's disks straight into its GPU element, up to {@code window} pieces
 * at once. The cache is neither consulted nor filled, and the block CRCs are not checked: the bytes never
 * pass through the CPU. Used once, for one submission; its callbacks may run on any thread.
 */
final class CufileScatter {
  /** {@code target.length()} bytes of chunk {@code chunkIndex} from {@code chunkOffset}. */
  record Piece(int chunkIndex, long chunkOffset, GpuBuffer target) {}

  private final DirectGpuReads direct;
  private final NodeOperator files;
  private final Executor blocking;
  private final int window;
  private final Map<Integer, CompletableFuture<Path>> dataFiles = new ConcurrentHashMap<>();

  /** {@code blocking} looks at the file system for the replica files. */
  CufileScatter(DirectGpuReads direct, NodeOperator files, Executor blocking, int window) {
    this.direct = direct;
    this.files = files;
    this.blocking = blocking;
    this.window = window;
  }

  /** The pieces of {@code length} bytes from {@code offset} of a file of {@code chunkSizeBytes} chunks, over {@code targets} in order. */
  static List<Piece> plan(long offset, long length, int chunkSizeBytes, List<GpuBuffer> targets) {
    List<Piece> out = new ArrayList<>();
    long pos = offset;
    long end = offset + length;
    for (GpuBuffer t : targets) {
      long within = 0;
      while (within < t.length() && pos < end) {
        long inChunk = pos % chunkSizeBytes;
        long n = Math.min(Math.min(chunkSizeBytes - inChunk, t.length() - within), end - pos);
        out.add(new Piece((int) (pos / chunkSizeBytes), inChunk, t.slice(within, n)));
        within += n;
        pos += n;
      }
      if (pos >= end) break;
    }
    return out;
  }

  /** Reads every piece; completes with the bytes read, or the first failure. */
  CompletionStage<Long> run(FileVersion v, List<Piece> pieces) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (pieces.isEmpty()) {
      done.complete(0L);
      return done;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger left = new AtomicInteger(pieces.size());
    AtomicLong moved = new AtomicLong();
    for (int i = 0; i < Math.min(window, pieces.size()); i++) launch(v, pieces, next, left, moved, done);
    return done;
  }

  private void launch(FileVersion v, List<Piece> pieces, AtomicInteger next, AtomicInteger left, AtomicLong moved,
      CompletableFuture<Long> done) {
    int i = next.getAndIncrement();
    if (i >= pieces.size() || done.isDone()) return;
    Piece p = pieces.get(i);
    dataFile(v, p.chunkIndex())
        .thenCompose(file -> direct.reads().readFile(file, p.chunkOffset(), p.target()))
        .whenComplete((n, e) -> {
          if (e != null) {
            done.completeExceptionally(Failures.unwrap(e));
          } else if (n != p.target().length()) {
            done.completeExceptionally(new TfsException(ErrorCode.IO_ERROR, "the replica file of chunk "
                + p.chunkIndex() + " of " + v.path() + " ended early: " + n + " of " + p.target().length() + " bytes"));
          } else {
            moved.addAndGet(n);
            if (left.decrementAndGet() == 0) done.complete(moved.get());
            else launch(v, pieces, next, left, moved, done);
          }
        });
  }

  /** The replica file of a chunk on this node's disks, looked up once per chunk. */
  private CompletableFuture<Path> dataFile(FileVersion v, int index) {
    return dataFiles.computeIfAbsent(index, i -> files.localReplicaFile(new ChunkId(v.fileId(), index), v.path(),
        blocking).toCompletableFuture());
  }
}
