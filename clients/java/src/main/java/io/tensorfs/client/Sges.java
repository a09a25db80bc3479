package io.tensorfs.client;

import com.google.protobuf.ByteString;
import io.tensorfs.gateway.grpc.v1.CudaIpc;
import io.tensorfs.gateway.grpc.v1.SharedMemory;
import io.tensorfs.gateway.grpc.v1.Sge;

/** Scatter/gather elements for {@link BatchSession#preadv} and {@link BatchSession#pwritev}. */
public final class Sges {
  private Sges() {}

  /** {@code length} bytes at {@code offset} of the shared-memory segment {@code /dev/shm/<segment>}. */
  public static Sge host(String segment, long offset, long length) {
    return Sge.newBuilder().setHost(SharedMemory.newBuilder().setName(segment)).setOffset(offset).setLength(length).build();
  }

  /**
   * {@code length} bytes at {@code offset} of the CUDA allocation exported as {@code ipcHandle} (the
   * 64-byte {@code cudaIpcMemHandle_t} of the allocation's base) on {@code device}.
   */
  public static Sge gpu(byte[] ipcHandle, int device, long offset, long length) {
    return Sge.newBuilder()
        .setGpu(CudaIpc.newBuilder().setHandle(ByteString.copyFrom(ipcHandle)).setDevice(device))
        .setOffset(offset)
        .setLength(length)
        .build();
  }
}
