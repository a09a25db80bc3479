package io.tensorfs.gpu.internal;

import java.nio.ByteBuffer;

/**
 * The CUDA calls of one GPU, as a GpuSink and its copy watcher make them. Methods return CUDA error codes
 * (0 = success). Streams and events are small integers. The owner thread (the sink's) makes every call but
 * {@link #queryEvent}, which the watcher thread makes; each thread calls {@link #bindThread} first.
 * Device addresses are plain numbers: a base from {@link #openIpc} plus an offset.
 */
public interface DeviceApi extends AutoCloseable {
  int ordinal();

  /** Makes this GPU current for the calling thread: cudaSetDevice. */
  int bindThread();

  /** Creates streams {@code 0..count-1} (non-blocking with respect to the default stream). */
  int createStreams(int count);

  /** Creates an event without timing; returns its id (0 or more), or minus the CUDA error. */
  int createEvent();

  /** Maps a client's allocation: cudaIpcOpenMemHandle with lazy peer access; the base address goes in {@code out[0]}. */
  int openIpc(byte[] handle, long[] out);

  /** The size of the allocation that starts at {@code base}, or -1 when the driver cannot say. */
  long allocationBytes(long base);

  /** Unmaps what {@link #openIpc} mapped. */
  int closeIpc(long base);

  /** Queues a copy of {@code bytes} from {@code host} at absolute index {@code hostIndex} to {@code deviceAddress}. */
  int copyToDevice(long deviceAddress, ByteBuffer host, long hostIndex, long bytes, int stream);

  /** Queues a copy of {@code bytes} from {@code deviceAddress} to {@code host} at absolute index {@code hostIndex}. */
  int copyToHost(ByteBuffer host, long hostIndex, long deviceAddress, long bytes, int stream);

  /** Records {@code event} after the work queued so far on {@code stream}. */
  int recordEvent(int event, int stream);

  /** 0 when the work before {@code event} is done, {@link CudaRuntime#NOT_READY} while not, else the error. */
  int queryEvent(int event);

  /** Waits until every stream of this device is idle: for stop and error paths only. */
  int synchronize();

  /** Destroys the streams and events; the caller has synchronized first. */
  @Override
  void close();
}
