package io.tensorfs.gpu.internal;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaDeviceProp;
import jcuda.runtime.cudaError;

/**
 * The CUDA runtime through JCuda (its natives carry a static CUDA runtime; the driver, libcuda.so.1, comes
 * from the host). Loading JCuda's natives happens on the first call and may fail: {@link #probe} turns
 * every such failure into a reason.
 */
public final class JCudaRuntime implements CudaRuntime {
  @Override
  public Probe probe() {
    try {
      int[] count = new int[1];
      int rc = firstCall(count);
      if (rc != cudaError.cudaSuccess) return Probe.none(noDeviceReason(rc));
      if (count[0] == 0) return Probe.none("no GPU: the CUDA driver reports 0 devices");
      return new Probe(count[0], "", describe(count[0]));
    } catch (LinkageError e) {
      return Probe.none("JCuda's native library did not load: " + e.getMessage());
    } catch (RuntimeException e) {
      return Probe.none("CUDA failed at start: " + e);
    }
  }

  /**
   * The first JCuda call, which loads its natives, under a lock that every process of this host takes. JCuda
   * writes its natives to a file of a fixed name in {@code java.io.tmpdir} when that file does not exist yet,
   * then loads it: nodes starting together on a fresh host could load the file while another one was still
   * writing it, and die of SIGBUS in the dynamic loader (seen once on the GPU machine, four nodes starting
   * at once). The lock is held only while the natives load.
   */
  private static synchronized int firstCall(int[] count) {
    Path lock = Path.of(System.getProperty("java.io.tmpdir"), "tensorfs-jcuda-natives.lock");
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      return JCuda.cudaGetDeviceCount(count);
    } catch (IOException e) {
      // No lock to be had (a read-only temporary directory): load as JCuda would anyway.
      return JCuda.cudaGetDeviceCount(count);
    }
  }

  @Override
  public String errorName(int code) {
    return cudaError.stringFor(code);
  }

  @Override
  public int hostRegister(ByteBuffer region) {
    int rc = JCuda.cudaSetDevice(0);
    if (rc != cudaError.cudaSuccess) return rc;
    return JCuda.cudaHostRegister(Pointer.to(region), region.capacity(), JCuda.cudaHostRegisterPortable);
  }

  @Override
  public long hostAddress(ByteBuffer direct) {
    return MemoryIO.getInstance().getDirectBufferAddress(direct);
  }

  @Override
  public DeviceApi device(int ordinal) {
    return new JCudaDevice(ordinal);
  }

  /** The 64 bytes of a handle that cudaIpcGetMemHandle filled. */
  public static byte[] ipcHandleBytes(jcuda.runtime.cudaIpcMemHandle handle) {
    return JCudaDevice.handleBytes(handle);
  }

  private static String noDeviceReason(int rc) {
    if (rc == cudaError.cudaErrorInsufficientDriver) {
      int[] driver = new int[1];
      JCuda.cudaDriverGetVersion(driver);
      if (driver[0] == 0) return "no CUDA driver (libcuda.so.1 not found)";
      return "the CUDA driver " + version(driver[0]) + " is older than the runtime " + runtimeVersion()
          + " (cudaErrorInsufficientDriver)";
    }
    return "no GPU: " + cudaError.stringFor(rc) + " (" + JCuda.cudaGetErrorString(rc) + ")";
  }

  private static String describe(int devices) {
    List<String> names = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      cudaDeviceProp prop = new cudaDeviceProp();
      int rc = JCuda.cudaGetDeviceProperties(prop, d);
      names.add("gpu" + d + " " + (rc == cudaError.cudaSuccess
          ? prop.getName().trim() + " " + (prop.totalGlobalMem >> 30) + " GiB"
          : "(" + cudaError.stringFor(rc) + ")"));
    }
    int[] driver = new int[1];
    JCuda.cudaDriverGetVersion(driver);
    return devices + (devices == 1 ? " GPU: " : " GPUs: ") + String.join(", ", names) + "; CUDA driver "
        + version(driver[0]) + ", runtime " + runtimeVersion();
  }

  private static String runtimeVersion() {
    int[] runtime = new int[1];
    JCuda.cudaRuntimeGetVersion(runtime);
    return version(runtime[0]);
  }

  /** CUDA's version numbers are 1000 * major + 10 * minor. */
  static String version(int v) {
    return (v / 1000) + "." + (v % 1000) / 10;
  }
}
