package io.tensorfs.core.gpu;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Copies between host memory and clients' GPU buffers: what the gateway needs from the GPU sink.
 * Host buffers are direct, ideally pages of the node's page pool, which the sink registers with the
 * driver once so that each copy is one DMA. Stages complete when the device reports the copy done.
 */
public interface DeviceCopies {
  /** Whether a GPU was found and the driver answered. */
  boolean available();

  /** One line for the start-up log and the status page: the GPUs found, or why none is used. */
  String describe();

  /**
   * Copies the remaining bytes of {@code sources}, in order, into {@code target}; their total must
   * equal {@code target.length()}. Completes with the bytes copied; fails with a TfsException
   * (UNAVAILABLE when no GPU is present, BAD_REQUEST for a handle the driver refuses).
   */
  CompletionStage<Long> toDevice(List<ByteBuffer> sources, GpuBuffer target);

  /** Copies {@code source} into the remaining bytes of {@code targets}, in order; the reverse of toDevice. */
  CompletionStage<Long> fromDevice(GpuBuffer source, List<ByteBuffer> targets);
}
