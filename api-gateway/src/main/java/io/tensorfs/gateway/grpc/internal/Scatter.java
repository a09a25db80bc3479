package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.gpu.DeviceCopies;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.util.ByteString;

/**
 * Spreads a read's bytes over its elements in order (preadv). Host elements are filled by a copy into
 * the mapped segment; GPU elements through a staging buffer that is copied to the device each time it
 * fills or the element ends. Feed it with {@link #accept} one piece at a time (the next call only
 * after the last one's stage completed), then call {@link #finish}.
 */
final class Scatter {
  private static final CompletionStage<Done> DONE = CompletableFuture.completedFuture(Done.getInstance());

  private final List<Memory> targets;
  private final DeviceCopies gpus;
  private final Staging staging;
  private int index;
  private int slice;
  private long onDevice;
  private long moved;

  Scatter(List<Memory> targets, DeviceCopies gpus, Staging staging) {
    this.targets = targets;
    this.gpus = gpus;
    this.staging = staging;
  }

  CompletionStage<Done> accept(ByteString bytes) {
    ByteString rest = bytes;
    while (!rest.isEmpty() && skipFilled()) {
      Memory target = targets.get(index);
      if (target instanceof Memory.Host host) {
        int n = rest.copyToBuffer(host.slices().get(slice));
        moved += n;
        rest = rest.drop(n);
      } else {
        Memory.Gpu gpu = (Memory.Gpu) target;
        ByteBuffer buffer = stagingFor(gpu);
        rest = rest.drop(rest.copyToBuffer(buffer));
        if (!buffer.hasRemaining()) {
          ByteString remaining = rest;
          return flush(gpu).thenCompose(d -> accept(remaining));
        }
      }
    }
    return DONE;
  }

  /** Copies what is still staged (a read that ended inside a GPU element); completes with the bytes moved. */
  CompletionStage<Long> finish() {
    if (index < targets.size() && targets.get(index) instanceof Memory.Gpu gpu && staged() > 0) {
      return flush(gpu).thenApply(d -> moved);
    }
    return CompletableFuture.completedFuture(moved);
  }

  /** Moves past the elements already full; false when none is left. */
  private boolean skipFilled() {
    while (index < targets.size()) {
      Memory t = targets.get(index);
      if (t instanceof Memory.Host host) {
        while (slice < host.slices().size() && !host.slices().get(slice).hasRemaining()) slice++;
        if (slice < host.slices().size()) return true;
      } else if (onDevice < t.length()) {
        return true;
      }
      index++;
      slice = 0;
      onDevice = 0;
    }
    return false;
  }

  private ByteBuffer stagingFor(Memory.Gpu gpu) {
    ByteBuffer b = staging.buffer();
    if (b.position() == 0) b.limit((int) Math.min(staging.capacity(), gpu.length() - onDevice));
    return b;
  }

  private int staged() {
    return staging.buffer().position();
  }

  private CompletionStage<Done> flush(Memory.Gpu gpu) {
    ByteBuffer b = staging.buffer();
    b.flip();
    int n = b.remaining();
    return staging.track(gpus.toDevice(List.of(b), gpu.buffer().slice(onDevice, n))).thenApply(copied -> {
      moved += n;
      onDevice += n;
      b.clear();
      return Done.getInstance();
    });
  }
}
