package io.tensorfs.gpu.internal;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.concurrent.CopyOnWriteArrayList;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaEvent_t;
import jcuda.runtime.cudaIpcMemHandle;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;

/** One GPU through JCuda. See {@link DeviceApi} for which thread calls what. */
final class JCudaDevice implements DeviceApi {
  /** JCuda keeps the 64 handle bytes in a private field that its natives read and write. */
  private static final Field HANDLE_BYTES = handleField();

  private final int ordinal;
  private cudaStream_t[] streams = new cudaStream_t[0];
  /** Created by the owner thread, read by the watcher: copy on write, as events are created only a few times. */
  private final CopyOnWriteArrayList<cudaEvent_t> events = new CopyOnWriteArrayList<>();

  JCudaDevice(int ordinal) {
    this.ordinal = ordinal;
  }

  @Override
  public int ordinal() {
    return ordinal;
  }

  @Override
  public int bindThread() {
    return JCuda.cudaSetDevice(ordinal);
  }

  @Override
  public int createStreams(int count) {
    cudaStream_t[] created = new cudaStream_t[count];
    for (int i = 0; i < count; i++) {
      created[i] = new cudaStream_t();
      int rc = JCuda.cudaStreamCreateWithFlags(created[i], JCuda.cudaStreamNonBlocking);
      if (rc != cudaError.cudaSuccess) return rc;
    }
    streams = created;
    return cudaError.cudaSuccess;
  }

  @Override
  public int createEvent() {
    cudaEvent_t event = new cudaEvent_t();
    int rc = JCuda.cudaEventCreateWithFlags(event, JCuda.cudaEventDisableTiming);
    if (rc != cudaError.cudaSuccess) return -rc;
    events.add(event);
    return events.size() - 1;
  }

  @Override
  public int openIpc(byte[] handle, long[] out) {
    cudaIpcMemHandle h = new cudaIpcMemHandle();
    try {
      HANDLE_BYTES.set(h, handle.clone());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("JCuda's cudaIpcMemHandle cannot be filled", e);
    }
    Pointer base = new Pointer();
    int rc = JCuda.cudaIpcOpenMemHandle(base, h, JCuda.cudaIpcMemLazyEnablePeerAccess);
    if (rc == cudaError.cudaSuccess) out[0] = CudaAddress.of(base);
    return rc;
  }

  @Override
  public long allocationBytes(long base) {
    try {
      CUdeviceptr start = new CUdeviceptr();
      long[] size = new long[1];
      int rc = JCudaDriver.cuMemGetAddressRange(start, size, new CUdeviceptr().withByteOffset(base));
      return rc == 0 ? size[0] : -1;
    } catch (LinkageError e) {
      return -1;
    }
  }

  @Override
  public int closeIpc(long base) {
    return JCuda.cudaIpcCloseMemHandle(CudaAddress.at(base));
  }

  @Override
  public int copyToDevice(long deviceAddress, ByteBuffer host, long hostIndex, long bytes, int stream) {
    return JCuda.cudaMemcpyAsync(CudaAddress.at(deviceAddress), Pointer.to(host).withByteOffset(hostIndex), bytes,
        cudaMemcpyKind.cudaMemcpyHostToDevice, streams[stream]);
  }

  @Override
  public int copyToHost(ByteBuffer host, long hostIndex, long deviceAddress, long bytes, int stream) {
    return JCuda.cudaMemcpyAsync(Pointer.to(host).withByteOffset(hostIndex), CudaAddress.at(deviceAddress), bytes,
        cudaMemcpyKind.cudaMemcpyDeviceToHost, streams[stream]);
  }

  @Override
  public int recordEvent(int event, int stream) {
    return JCuda.cudaEventRecord(events.get(event), streams[stream]);
  }

  @Override
  public int queryEvent(int event) {
    return JCuda.cudaEventQuery(events.get(event));
  }

  @Override
  public int synchronize() {
    int worst = cudaError.cudaSuccess;
    for (cudaStream_t s : streams) {
      int rc = JCuda.cudaStreamSynchronize(s);
      if (rc != cudaError.cudaSuccess) worst = rc;
    }
    return worst;
  }

  @Override
  public void close() {
    for (cudaEvent_t e : events) JCuda.cudaEventDestroy(e);
    events.clear();
    for (cudaStream_t s : streams) JCuda.cudaStreamDestroy(s);
    streams = new cudaStream_t[0];
  }

  private static Field handleField() {
    try {
      Field f = cudaIpcMemHandle.class.getDeclaredField("reserved");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The 64 bytes of a handle JCuda filled (cudaIpcGetMemHandle), for the check program and tests. */
  static byte[] handleBytes(cudaIpcMemHandle handle) {
    try {
      return ((byte[]) HANDLE_BYTES.get(handle)).clone();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
