package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.ReadPiece;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Spreads a read's bytes over its elements in order (preadv), straight from the cache's pages: a GPU
 * element gets one device copy per piece from the pages themselves (one DMA per page, no staging), a
 * host element a memory copy into the client's segment. Up to {@code window} pieces are in flight, so
 * the device copies of one chunk overlap the fetch of the next; each piece's pages are released when
 * its copies are done.
 */
public final class PageScatter {
  private final List<Memory> targets;
  private final DeviceCopies gpus;
  private final int window;
  private final Executor executor;
  private int index;
  private long within;
  private int hostSlice;

  /** {@code executor} runs each step, so a long read of resident pages does not recurse on one stack. */
  public PageScatter(List<Memory> targets, DeviceCopies gpus, int window, Executor executor) {
    this.targets = targets;
    this.gpus = gpus;
    this.window = window;
    this.executor = executor;
  }

  /** Moves every piece of {@code read} into the targets; completes with the bytes moved, then closes it. */
  public CompletionStage<Long> run(FileRead read) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    step(read, new ArrayDeque<>(), 0, done);
    return done.whenComplete((n, e) -> read.close());
  }

  private void step(FileRead read, Deque<CompletableFuture<Long>> inFlight, long moved, CompletableFuture<Long> done) {
    if (inFlight.size() >= window) {
      CompletableFuture<Long> oldest = inFlight.pollFirst();
      oldest.whenCompleteAsync((n, e) -> {
        if (e != null) done.completeExceptionally(e);
        else step(read, inFlight, moved + n, done);
      }, executor);
      return;
    }
    read.next().whenCompleteAsync((piece, e) -> {
      if (e != null) {
        done.completeExceptionally(e);
      } else if (piece == null) {
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).whenComplete((x, f) -> {
          if (f != null) {
            done.completeExceptionally(f);
            return;
          }
          long total = moved;
          for (CompletableFuture<Long> c : inFlight) total += c.getNow(0L);
          done.complete(total);
        });
      } else {
        CompletableFuture<Long> copies;
        try {
          copies = place(piece).toCompletableFuture();
        } catch (RuntimeException failure) {
          piece.release();
          done.completeExceptionally(failure);
          return;
        }
        copies.whenComplete((n, f) -> piece.release());
        inFlight.addLast(copies);
        step(read, inFlight, moved, done);
      }
    }, executor);
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
