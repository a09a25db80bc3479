package io.tensorfs.gpu.internal;

import jcuda.Pointer;

/** Converts between JCuda pointers to device or pinned memory and plain addresses. */
public final class CudaAddress extends Pointer {
  private CudaAddress(long address) {
    super(address);
  }

  private CudaAddress(Pointer other) {
    super(other);
  }

  /** A JCuda pointer to {@code address}, as cudaMalloc would have returned it. */
  public static Pointer at(long address) {
    return new CudaAddress(address);
  }

  /** The address a native (not buffer-backed) JCuda pointer points at, its byte offset included. */
  public static long of(Pointer pointer) {
    CudaAddress copy = new CudaAddress(pointer);
    return copy.getNativePointer() + copy.getByteOffset();
  }
}
