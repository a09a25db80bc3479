package io.tensorfs.gpu.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.gpu.CuFile;
import io.tensorfs.gpu.CuFileReader;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * cuFile reads on a bounded pool of daemon threads of their own ({@code tensorfs-cufile-N}): cuFileRead
 * blocks for the whole transfer. Each read makes the buffer's GPU current on its thread first (cudaSetDevice:
 * the process shares one primary context per GPU, so an address a GpuSink mapped is valid there), opens and
 * registers the file, reads, and deregisters it. Thread safe.
 */
public final class CufileExecutor implements FileToDevice {
  private final CuFile cufile;
  private final CudaRuntime runtime;
  private final ExecutorService threads;

  public CufileExecutor(CuFile cufile, CudaRuntime runtime, int threadCount) {
    this.cufile = cufile;
    this.runtime = runtime;
    AtomicInteger n = new AtomicInteger();
    this.threads = new ThreadPoolExecutor(threadCount, threadCount, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        r -> {
          Thread t = new Thread(r, "tensorfs-cufile-" + n.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
  }

  @Override
  public CompletionStage<Long> read(int device, Path file, long fileOffset, long deviceAddress, long bytes) {
    return CompletableFuture.supplyAsync(() -> {
      int rc = runtime.device(device).bindThread();
      if (rc != CudaRuntime.SUCCESS) {
        throw new TfsException(ErrorCode.UNAVAILABLE, "cudaSetDevice(" + device + ") failed: " + runtime.errorName(rc));
      }
      try (CuFileReader reader = CuFileReader.open(cufile, file)) {
        return reader.read(fileOffset, deviceAddress, 0, bytes);
      }
    }, threads);
  }

  @Override
  public void close() {
    threads.shutdown();
  }
}
