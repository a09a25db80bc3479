package io.tensorfs.gpu.internal;

import java.util.Arrays;
import java.util.HexFormat;

/** A CUDA IPC memory handle as a map key: compared by its 64 bytes. Immutable. */
public final class IpcKey {
  private final byte[] bytes;
  private final int hash;

  public IpcKey(byte[] handle) {
    this.bytes = handle.clone();
    this.hash = Arrays.hashCode(bytes);
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpcKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "ipc:" + HexFormat.of().formatHex(bytes, 0, Math.min(8, bytes.length)) + "…";
  }
}
