package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.ReadPiece;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Spreads a read's bytes over its elements in order (preadv), straight from the cache's pages: a GPU
 * element gets one device copy per piece from the pages themselves (one DMA per page, no staging), a
 * host element a memory copy into the client's segment. The read runs as one stream
 * ({@link FileRead#pieces()} into a window of up to {@code window} pieces being copied, at most the
 * read's read-ahead, so a read holds at most twice that many chunks): the device
 * copies of one chunk overlap the loads of the next ones, each piece's pages are released when its
 * copies are done, and copies that do not finish hold back the loads. Used for one read at a time (the
 * cursor over the elements carries on from one read to the next, for parts read as one file).
 */
public final class PageScatter {
  private final List<Memory> targets;
  private final DeviceCopies gpus;
  private final int window;
  private int index;
  private long within;
  private int hostSlice;

  public PageScatter(List<Memory> targets, DeviceCopies gpus, int window) {
    this.targets = targets;
    this.gpus = gpus;
    this.window = window;
  }

  /** Moves every piece of {@code read} into the targets as a stream; completes with the bytes moved. */
  public CompletionStage<Long> run(FileRead read, Materializer materializer) {
    return read.pieces()
        .mapAsync(Math.min(window, read.readAhead()), this::placeAndRelease)
        .runWith(Sink.fold(0L, Long::sum), materializer);
  }

  /**
   * Moves a small read of resident pages into host elements piece by piece on the calling thread, with
   * no stream to start: each stage is complete when returned, so the whole read runs here. Completes with
   * the bytes moved, then closes the read.
   */
  public CompletionStage<Long> runInPlace(FileRead read) {
    return each(read, 0).whenComplete((n, e) -> read.close());
  }

  private CompletionStage<Long> each(FileRead read, long moved) {
    return read.next().thenCompose(piece -> piece == null
        ? CompletableFuture.completedFuture(moved)
        : placeAndRelease(piece).thenCompose(n -> each(read, moved + n)));
  }

  /** Starts the copies of one piece; its pages are released once they are done (or could not start). */
  private CompletionStage<Long> placeAndRelease(ReadPiece piece) {
    CompletionStage<Long> copies;
    try {
      copies = place(piece);
    } catch (RuntimeException failure) {
      piece.release();
      return CompletableFuture.failedFuture(failure);
    }
    return copies.whenComplete((n, e) -> piece.release());
  }

  /** Starts the copies of one piece, in order over the targets; completes when all are done. */
  private CompletionStage<Long> place(ReadPiece piece) {
    List<CompletableFuture<Long>> copies = new ArrayList<>();
    long placed = 0;
    List<ByteBuffer> toGpu = new ArrayList<>();
    long gpuStart = 0;
    for (ByteBuffer page : piece.buffers()) {
      ByteBuffer rest = page.duplicate();
      while (rest.hasRemaining() && index < targets.size()) {
        Memory target = targets.get(index);
        int n = (int) Math.min(rest.remaining(), target.length() - within);
        ByteBuffer part = rest.duplicate();
        part.limit(part.position() + n);
        if (target instanceof Memory.Host host) {
          copyToHost(host, part);
        } else {
          if (toGpu.isEmpty()) gpuStart = within;
          toGpu.add(part);
        }
        rest.position(rest.position() + n);
        within += n;
        placed += n;
        if (within == target.length()) {
          if (target instanceof Memory.Gpu gpu) copies.add(toDevice(gpu.buffer(), gpuStart, toGpu));
          toGpu = new ArrayList<>();
          index++;
          within = 0;
          hostSlice = 0;
        }
      }
    }
    if (!toGpu.isEmpty()) copies.add(toDevice(((Memory.Gpu) targets.get(index)).buffer(), gpuStart, toGpu));
    long total = placed;
    return CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new)).thenApply(x -> total);
  }

  private CompletableFuture<Long> toDevice(GpuBuffer gpu, long from, List<ByteBuffer> pages) {
    long bytes = 0;
    for (ByteBuffer b : pages) bytes += b.remaining();
    return gpus.toDevice(List.copyOf(pages), gpu.slice(from, bytes)).toCompletableFuture();
  }

  /** A memory copy into the host element's mapped slices, whose positions are the cursor. */
  private void copyToHost(Memory.Host host, ByteBuffer part) {
    while (part.hasRemaining()) {
      ByteBuffer slice = host.slices().get(hostSlice);
      if (!slice.hasRemaining()) {
        hostSlice++;
        continue;
      }
      int n = Math.min(slice.remaining(), part.remaining());
      ByteBuffer chunk = part.duplicate();
      chunk.limit(chunk.position() + n);
      slice.put(chunk);
      part.position(part.position() + n);
    }
  }
}
