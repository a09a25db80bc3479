package io.tensorfs.core.gpu;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A range of a client's GPU memory: the CUDA IPC handle of the allocation it lies in (the 64 bytes
 * {@code cudaIpcGetMemHandle} returns), the device that owns it, and where in the allocation the range
 * starts. The client keeps the allocation alive until the transfers that name it complete.
 */
public record GpuBuffer(byte[] ipcHandle, int device, long offset, long length) {
  public static final int HANDLE_BYTES = 64;

  public GpuBuffer {
    if (ipcHandle == null || ipcHandle.length != HANDLE_BYTES) {
      throw new IllegalArgumentException("a CUDA IPC handle is " + HANDLE_BYTES + " bytes");
    }
    if (device < 0 || offset < 0 || length < 0) {
      throw new IllegalArgumentException("device, offset and length must not be negative");
    }
    ipcHandle = ipcHandle.clone();
  }

  @Override
  public byte[] ipcHandle() {
    return ipcHandle.clone();
  }

  /** The part {@code [from, from+bytes)} of this range. */
  public GpuBuffer slice(long from, long bytes) {
    if (from < 0 || bytes < 0 || from + bytes > length) {
      throw new IllegalArgumentException("slice " + from + "+" + bytes + " outside a range of " + length);
    }
    return new GpuBuffer(ipcHandle, device, offset + from, bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GpuBuffer b && device == b.device && offset == b.offset && length == b.length
        && Arrays.equals(ipcHandle, b.ipcHandle);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(ipcHandle) + Long.hashCode(offset);
  }

  @Override
  public String toString() {
    return "GpuBuffer[gpu" + device + " " + HexFormat.of().formatHex(ipcHandle, 0, 8) + "… +" + offset + " "
        + length + " bytes]";
  }
}
