package io.tensorfs.gateway.grpc;

import io.tensorfs.gpu.DeviceFileReads;

/**
 * What preadv with {@code FLAG_CUFILE} reads through: the GPU sinks' cuFile reads into clients' buffers
 * ({@code GpuSinks.fileReads()}), from the replica files the operator finds on this node's disks. Immutable.
 */
public final class DirectGpuReads {
  private final DeviceFileReads reads;

  public DirectGpuReads(DeviceFileReads reads) {
    this.reads = reads;
  }

  /** Reads that always answer UNAVAILABLE with {@code reason}. */
  public static DirectGpuReads none(String reason) {
    return new DirectGpuReads(DeviceFileReads.unavailable(reason));
  }

  public boolean available() {
    return reads.available();
  }

  public String describe() {
    return reads.describe();
  }

  public DeviceFileReads reads() {
    return reads;
  }
}
