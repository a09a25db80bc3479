package io.tensorfs.gpu.internal;

import java.nio.ByteBuffer;

/**
 * The node-wide CUDA calls GpuSinks makes: finding the GPUs, pinning host memory, and one {@link DeviceApi}
 * per GPU. JCuda in production; an in-memory fake in tests. Methods return CUDA error codes (0 = success).
 */
public interface CudaRuntime {
  int SUCCESS = 0;
  /** cudaErrorNotReady: an event or stream has work still pending. */
  int NOT_READY = 600;

  /** What a look for GPUs found. {@code devices} is 0 exactly when {@code reason} says why none is usable. */
  record Probe(int devices, String reason, String description) {
    public static Probe none(String reason) {
      return new Probe(0, reason, reason);
    }
  }

  /** Counts the GPUs; never throws. */
  Probe probe();

  /** The name of a CUDA error code: {@code cudaErrorNoDevice}. */
  String errorName(int code);

  /** Pins {@code region} (all its capacity) for DMA by every GPU: cudaHostRegister, flag portable. */
  int hostRegister(ByteBuffer region);

  /** The address of a direct buffer's first byte (index 0, whatever its position). */
  long hostAddress(ByteBuffer direct);

  /** The calls of GPU {@code ordinal}; nothing is created until its owner thread uses it. */
  DeviceApi device(int ordinal);
}
