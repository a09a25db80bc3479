package io.tensorfs.gpu.check;

import io.tensorfs.core.TfsException;
import io.tensorfs.gpu.CuFile;
import io.tensorfs.gpu.CuFileReader;
import io.tensorfs.gpu.internal.CudaAddress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;

/**
 * One cuFile try, run by the check in a process of its own (so each try meets a library that has read its
 * configuration afresh): reads the file into device memory with cuFileRead, best of {@code --repeat}, copies
 * it back and compares it with the file. Prints what it saw, then one line {@link #RESULT}{@code pass GBs how}
 * or {@link #RESULT}{@code fail why}.
 */
final class CufileAttempt {
  static final String RESULT = "cufile-attempt-result ";
  private static final int COMPARE_BYTES = 64 << 20;

  private CufileAttempt() {}

  static int run(Args args) {
    GpuCheck.cuda("cudaSetDevice", JCuda.cudaSetDevice(args.device));
    Pointer device = new Pointer();
    GpuCheck.cuda("cudaMalloc", JCuda.cudaMalloc(device, args.bytes));
    try {
      CuFile cufile = CuFile.open(args.cufileLibrary, args.cufileForceCompat);
      System.out.println("cuFile " + cufile.library() + ", mode " + cufile.mode() + "; " + cufile.setup());
      long address = CudaAddress.of(device);
      CuFile.Status reg = cufile.registerBuffer(address, args.bytes);
      System.out.println("cuFileBufRegister: " + reg);
      double best = 0;
      boolean direct;
      try (CuFileReader reader = CuFileReader.open(cufile, args.cufileFile, !args.cufileBuffered)) {
        direct = reader.directIo();
        System.out.println("cuFileHandleRegister: ok (" + (direct ? "O_DIRECT" : "buffered") + " fd)");
        for (int i = 0; i < args.repeat; i++) {
          long start = System.nanoTime();
          long n = reader.read(0, address, 0, args.bytes);
          double seconds = (System.nanoTime() - start) / 1e9;
          if (n != args.bytes) throw new IllegalStateException("cuFileRead read " + n + " of " + args.bytes + " bytes");
          best = Math.max(best, n / seconds / 1e9);
        }
      } finally {
        if (reg.ok()) cufile.deregisterBuffer(address);
      }
      long mismatch = mismatch(device, args);
      if (mismatch >= 0) {
        System.out.println(RESULT + "fail the bytes in GPU memory differ from the file at byte " + mismatch);
        return 1;
      }
      System.out.println(RESULT + "pass " + String.format("%.2f", best) + " " + (direct ? "O_DIRECT" : "buffered"));
      return 0;
    } catch (TfsException | IllegalStateException | IOException e) {
      System.out.println(RESULT + "fail " + e.getMessage());
      return 1;
    } finally {
      JCuda.cudaFree(device);
    }
  }

  /** The first byte where device memory differs from the file, or -1. */
  private static long mismatch(Pointer device, Args args) throws IOException {
    ByteBuffer file = ByteBuffer.allocateDirect(COMPARE_BYTES);
    ByteBuffer gpu = ByteBuffer.allocateDirect(COMPARE_BYTES);
    try (FileChannel ch = FileChannel.open(args.cufileFile, StandardOpenOption.READ)) {
      for (long at = 0; at < args.bytes; at += COMPARE_BYTES) {
        int n = (int) Math.min(COMPARE_BYTES, args.bytes - at);
        file.clear().limit(n);
        while (file.hasRemaining()) {
          if (ch.read(file, at + file.position()) < 0) return at + file.position();
        }
        gpu.clear();
        GpuCheck.cuda("cudaMemcpy", JCuda.cudaMemcpy(Pointer.to(gpu), device.withByteOffset(at), n,
            cudaMemcpyKind.cudaMemcpyDeviceToHost));
        int m = file.flip().mismatch(gpu.limit(n));
        if (m >= 0) return at + m;
      }
    }
    return -1;
  }
}
