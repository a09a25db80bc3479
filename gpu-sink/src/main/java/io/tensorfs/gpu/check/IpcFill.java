package io.tensorfs.gpu.check;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.Failures;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gpu.GpuSettings;
import io.tensorfs.gpu.GpuSinks;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Fills a range of another process's GPU allocation through GpuSinks, as the node would: byte {@code i} of
 * the range becomes {@code (31*i + seed) & 0xFF}; then reads the range back and compares. The other process
 * checks its tensor with the same formula.
 */
final class IpcFill {
  private static final int PAGE_BYTES = 4 << 20;

  private IpcFill() {}

  static int run(Args args) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "gpu-check-ipc", ConfigFactory.load());
    try {
      List<ByteBuffer> pool = pages(args.ipcBytes);
      fill(pool, args.seed);
      GpuSinks sinks = GpuSinks.start(system, GpuSettings.defaults(), pool);
      System.out.println("GpuSinks: " + sinks.describe());
      if (!sinks.available()) return 2;
      GpuBuffer target = new GpuBuffer(args.ipcFillHandle, args.device, args.ipcOffset, args.ipcBytes);
      long start = System.nanoTime();
      long n = sinks.toDevice(pool, target).toCompletableFuture().get(120, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("filled %d bytes at offset %d of gpu%d in %.2f ms, %.1f GB/s (first copy: includes opening the handle)%n",
          n, args.ipcOffset, args.device, seconds * 1e3, n / seconds / 1e9);
      List<ByteBuffer> back = pages(args.ipcBytes);
      sinks.fromDevice(target, back).toCompletableFuture().get(120, TimeUnit.SECONDS);
      long at = 0;
      for (int p = 0; p < back.size(); p++) {
        int m = back.get(p).mismatch(pool.get(p));
        if (m >= 0) {
          System.out.println("IPC FILL FAILED: read back differs at byte " + (at + m));
          return 1;
        }
        at += back.get(p).remaining();
      }
      System.out.println("IPC FILL OK: " + n + " bytes, byte i = (31*i + " + args.seed + ") & 0xFF, read back identical");
      return 0;
    } catch (ExecutionException e) {
      System.out.println("IPC FILL FAILED: " + Failures.unwrap(e).getMessage());
      return 1;
    } finally {
      system.terminate();
    }
  }

  private static List<ByteBuffer> pages(long bytes) {
    List<ByteBuffer> pages = new ArrayList<>();
    for (long at = 0; at < bytes; at += PAGE_BYTES) {
      int n = (int) Math.min(PAGE_BYTES, bytes - at);
      pages.add(ByteBuffer.allocateDirect(n + HostPool.ALIGN).alignedSlice(HostPool.ALIGN).limit(n).slice());
    }
    return pages;
  }

  /** Byte i of the range, counted across the pages in order, is (31*i + seed) & 0xFF. */
  static void fill(List<ByteBuffer> pages, int seed) {
    long i = 0;
    for (ByteBuffer page : pages) {
      for (int at = 0; at < page.capacity(); at++, i++) page.put(at, (byte) (31 * i + seed));
    }
  }
}
