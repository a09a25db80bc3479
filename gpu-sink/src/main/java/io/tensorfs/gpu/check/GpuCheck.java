package io.tensorfs.gpu.check;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gpu.CuFile;
import io.tensorfs.gpu.CuFileReader;
import io.tensorfs.gpu.GpuSettings;
import io.tensorfs.gpu.GpuSinks;
import io.tensorfs.gpu.internal.CopyEngine;
import io.tensorfs.gpu.internal.CudaAddress;
import io.tensorfs.gpu.internal.CudaRuntime;
import io.tensorfs.gpu.internal.HostRegions;
import io.tensorfs.gpu.internal.JCudaRuntime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import jcuda.Pointer;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaError;
import jcuda.runtime.cudaIpcMemHandle;
import jcuda.runtime.cudaMemcpyKind;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Checks the GPU path of this node on a machine with a GPU and prints what it found: pinning of a page
 * pool, multi-stream copies host to device and back with their bytes verified, the pinned and pageable
 * limits beside them, CUDA IPC, the GpuSinks actors on real CUDA, and cuFile reads into GPU memory.
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp 'tensorfs-gpu-sink.jar:lib/*'
 * io.tensorfs.gpu.check.GpuCheck [--bytes 1g] [--repeat 5] [--device 0] [--dir /tmp] [--cufile-lib PATH]
 * [--no-cufile]}. Exit status: 0 when every check that could run passed, 1 when one failed, 2 when no GPU
 * answered, 3 for bad arguments.
 *
 * <p>{@code --ipc-fill HANDLE_HEX --ipc-bytes N [--ipc-offset O] [--device D] [--seed S]} instead fills a
 * range of another process's allocation through GpuSinks with byte {@code i} = {@code (31*i + S) & 0xFF}
 * and reads it back: for a client-side script to verify.
 */
public final class GpuCheck {
  private static final int PAGE_BYTES = 4 << 20;
  private static final int REGION_BYTES = 256 << 20;
  private static final int[] STREAM_COUNTS = {1, 2, 4, 8};
  private static final long COPY_TIMEOUT_S = 120;

  private final Args args;
  private final CheckTable table = new CheckTable();
  private final CudaRuntime runtime = new JCudaRuntime();

  private GpuCheck(Args args) {
    this.args = args;
  }

  public static void main(String[] argv) {
    int status;
    try {
      Args args = Args.parse(argv);
      status = args.ipcFillHandle != null ? IpcFill.run(args)
          : args.cufileAttempt != null ? CufileAttempt.run(args)
          : new GpuCheck(args).run();
    } catch (IllegalArgumentException e) {
      System.err.println("gpu-check: " + e.getMessage());
      status = 3;
    } catch (Throwable t) {
      System.err.println("gpu-check: failed: " + t);
      t.printStackTrace();
      status = 1;
    }
    // Pekko and the copy watchers leave threads behind: leave explicitly.
    System.exit(status);
  }

  private int run() throws Exception {
    System.out.println("tensorfs GPU check: java " + System.getProperty("java.version") + ", "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + args.bytes + " bytes per copy, best of "
        + args.repeat);
    CudaRuntime.Probe probe = runtime.probe();
    if (probe.devices() == 0) {
      table.fail("GPU found", "none", probe.reason());
      if (args.cufile) {
        CuFile.Probe cufile = probeCufile();
        table.info("cuFile", cufile.mode(), cufile.description());
      }
      table.print(System.out);
      return 2;
    }
    table.pass("GPU found", probe.devices() + "", probe.description());
    if (args.device >= probe.devices()) throw new IllegalArgumentException("--device " + args.device + " is not there");
    HostPool source = new HostPool(args.bytes, PAGE_BYTES, REGION_BYTES);
    HostPool back = new HostPool(args.bytes, PAGE_BYTES, REGION_BYTES);
    source.fill(1);
    HostRegions registered = register(source, back);
    // Registration binds this thread to GPU 0: bind it to the GPU under test only now.
    cuda("cudaSetDevice", JCuda.cudaSetDevice(args.device));

    Pointer device = new Pointer();
    cuda("cudaMalloc", JCuda.cudaMalloc(device, args.bytes));
    long deviceAddress = CudaAddress.of(device);
    try {
      copies(source, back, registered, deviceAddress);
      oddGeometry(source, registered, deviceAddress);
      limits(device);
      ipc(device);
      sinks(device);
      if (args.cufile) cufile(source, back, registered, device);
      else table.skip("cuFile", "--no-cufile");
    } finally {
      JCuda.cudaFree(device);
    }
    table.print(System.out);
    return table.anyFailed() ? 1 : 0;
  }

  private HostRegions register(HostPool... pools) {
    List<long[]> ranges = new ArrayList<>();
    long bytes = 0;
    long start = System.nanoTime();
    int failures = 0;
    for (HostPool pool : pools) {
      for (ByteBuffer region : pool.regions) {
        int rc = runtime.hostRegister(region);
        if (rc != cudaError.cudaSuccess) {
          failures++;
          table.fail("cudaHostRegister", "", "a region of " + region.capacity() + " bytes: " + runtime.errorName(rc));
          continue;
        }
        ranges.add(new long[] {runtime.hostAddress(region), region.capacity()});
        bytes += region.capacity();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failures == 0) {
      table.pass("cudaHostRegister", String.format("%.0f ms", seconds * 1000),
          String.format("%d regions, %.2f GiB pinned, %.1f GB/s", ranges.size(), bytes / (double) (1L << 30),
              bytes / seconds / 1e9));
    }
    return HostRegions.of(ranges.toArray(new long[0][]));
  }

  /** Host to device over 1/2/4/8 streams, then back, the bytes compared. */
  private void copies(HostPool source, HostPool back, HostRegions registered, long deviceAddress) throws Exception {
    double best4 = 0;
    for (int streams : STREAM_COUNTS) {
      try (CopyEngine engine = engine(streams, registered)) {
        double gbs = best(() -> copy(engine, true, source.pages, deviceAddress));
        if (streams == 4) best4 = gbs;
        table.info("host->device, " + streams + " streams", gbs(gbs), "page pool (pinned), pieces of "
            + (GpuSettings.defaults().copyPieceBytes() >> 20) + " MiB");
      }
    }
    try (CopyEngine engine = engine(4, registered)) {
      back.clear();
      double gbs = best(() -> copy(engine, false, back.pages, deviceAddress));
      table.info("device->host, 4 streams", gbs(gbs), "page pool (pinned)");
      long mismatch = source.mismatch(back);
      if (mismatch < 0) table.pass("bytes there and back", args.bytes + " B", "identical after host->device->host");
      else table.fail("bytes there and back", "", "first difference at byte " + mismatch);
      if (engine.unregisteredCopies() > 0) table.fail("pinned page pool", "", "copies took the pageable path");
    }
    lastHostToDevice4 = best4;
  }

  private double lastHostToDevice4;

  /** Buffers with positions and uneven sizes, to an odd device offset, and back into positioned buffers. */
  private void oddGeometry(HostPool source, HostRegions registered, long deviceAddress) throws Exception {
    List<ByteBuffer> from = List.of(
        source.pages.get(0).duplicate().position(13).limit(PAGE_BYTES - 5),
        source.pages.get(1).duplicate(),
        source.pages.get(2).duplicate().position(4095).limit(4095 + 1_234_567),
        source.pages.get(3).duplicate().position(1).limit(2));
    long total = 0;
    for (ByteBuffer b : from) total += b.remaining();
    List<ByteBuffer> into = new ArrayList<>();
    long left = total;
    int lead = 7;
    for (int size : new int[] {1, 3_000_001, 777, Integer.MAX_VALUE}) {
      int n = (int) Math.min(left, size);
      ByteBuffer b = ByteBuffer.allocateDirect(lead + n + 9).position(lead).limit(lead + n);
      into.add(b);
      left -= n;
      if (left == 0) break;
    }
    long offset = 4099;
    try (CopyEngine engine = engine(3, registered)) {
      copy(engine, true, from, deviceAddress + offset);
      copy(engine, false, into, deviceAddress + offset);
    }
    ByteBuffer want = ByteBuffer.allocate((int) total);
    from.forEach(b -> want.put(b.duplicate()));
    ByteBuffer got = ByteBuffer.allocate((int) total);
    into.forEach(b -> got.put(b.duplicate()));
    int m = want.flip().mismatch(got.flip());
    if (m < 0) table.pass("uneven buffers, odd offsets", total + " B", "positions, limits and device offset kept");
    else table.fail("uneven buffers, odd offsets", "", "first difference at byte " + m);
  }

  /** One cudaMemcpy from cudaHostAlloc memory (the pinned limit) and from an unregistered direct buffer. */
  private void limits(Pointer device) throws Exception {
    Pointer pinned = new Pointer();
    cuda("cudaHostAlloc", JCuda.cudaHostAlloc(pinned, args.bytes, JCuda.cudaHostAllocPortable));
    double pinnedGbs;
    try {
      pinnedGbs = best(() -> {
        cuda("cudaMemcpy", JCuda.cudaMemcpy(device, pinned, args.bytes, cudaMemcpyKind.cudaMemcpyHostToDevice));
        return args.bytes;
      });
    } finally {
      JCuda.cudaFreeHost(pinned);
    }
    table.info("pinned limit: 1 cudaMemcpy", gbs(pinnedGbs), "cudaHostAlloc memory, host->device");
    ByteBuffer pageable = ByteBuffer.allocateDirect((int) Math.min(args.bytes, Integer.MAX_VALUE - 8));
    long pageableBytes = pageable.capacity();
    double pageableGbs = best(() -> {
      cuda("cudaMemcpy", JCuda.cudaMemcpy(device, Pointer.to(pageable), pageableBytes,
          cudaMemcpyKind.cudaMemcpyHostToDevice));
      return pageableBytes;
    });
    table.info("pageable: 1 cudaMemcpy", gbs(pageableGbs), "unregistered direct buffer");
    List<ByteBuffer> pages = new ArrayList<>();
    for (int off = 0; off + PAGE_BYTES <= pageable.capacity(); off += PAGE_BYTES) pages.add(pageable.slice(off, PAGE_BYTES));
    try (CopyEngine engine = engine(4, HostRegions.none())) {
      double gbs = best(() -> copy(engine, true, pages, CudaAddress.of(device)));
      table.info("pageable: 4 streams", gbs(gbs), "unregistered direct pages through the sink's engine");
    }
    double ratio = lastHostToDevice4 / pinnedGbs;
    String figure = String.format("%.2f x", ratio);
    if (ratio >= 0.85) table.pass("sink vs pinned limit", figure, "4 streams over the page pool / one cudaMemcpy pinned");
    else table.info("sink vs pinned limit", figure, "SLOW: below 0.85 of the pinned limit");
  }

  private void ipc(Pointer device) {
    cudaIpcMemHandle handle = new cudaIpcMemHandle();
    int rc = JCuda.cudaIpcGetMemHandle(handle, device);
    if (rc != cudaError.cudaSuccess) {
      table.fail("cudaIpcGetMemHandle", "", runtime.errorName(rc));
      return;
    }
    byte[] bytes = JCudaRuntime.ipcHandleBytes(handle);
    boolean nonZero = false;
    for (byte b : bytes) nonZero |= b != 0;
    if (nonZero && bytes.length == GpuBuffer.HANDLE_BYTES) {
      table.pass("cudaIpcGetMemHandle", "64 B", HexFormat.of().formatHex(bytes, 0, 16) + "…");
    } else {
      table.fail("cudaIpcGetMemHandle", "", "the handle is empty");
    }
    ownHandle = bytes;
  }

  private byte[] ownHandle;

  /** GpuSinks on real CUDA: its actors, the error paths it must take, and a copy where CUDA lets one run. */
  private void sinks(Pointer device) throws Exception {
    // A node's configuration may sit on the classpath beside this check: its system must not end the JVM.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "gpu-check", ConfigFactory.parseString(
        "pekko.coordinated-shutdown.exit-jvm = off\npekko.actor.provider = local").withFallback(ConfigFactory.load()));
    try {
      GpuSinks sinks = GpuSinks.start(system, GpuSettings.defaults(), List.of());
      if (!sinks.available()) {
        table.fail("GpuSinks start", "", sinks.describe());
        return;
      }
      table.pass("GpuSinks start", sinks.sinks().size() + " sinks", sinks.describe());
      ByteBuffer small = ByteBuffer.allocateDirect(1 << 20);
      byte[] random = new byte[64];
      new Random(3).nextBytes(random);
      expectCode("GpuSinks: foreign handle refused", sinks.toDevice(List.of(small),
          new GpuBuffer(random, args.device, 0, 1 << 20)), ErrorCode.BAD_REQUEST);
      expectCode("GpuSinks: missing device refused", sinks.toDevice(List.of(small),
          new GpuBuffer(random, 99, 0, 1 << 20)), ErrorCode.BAD_REQUEST);
      if (ownHandle != null) {
        // CUDA refuses to open a handle in the process that made it; if it ever allows it, the copy must be right.
        CompletionStage<Long> own = sinks.toDevice(List.of(small), new GpuBuffer(ownHandle, args.device, 0, 1 << 20));
        try {
          own.toCompletableFuture().get(COPY_TIMEOUT_S, TimeUnit.SECONDS);
          table.pass("GpuSinks: own IPC handle", "copied", "CUDA opened a handle of this process");
        } catch (ExecutionException e) {
          Throwable cause = Failures.unwrap(e);
          boolean ok = TfsException.codeOf(cause) == ErrorCode.BAD_REQUEST
              && cause.getMessage().startsWith("CUDA IPC handle refused: ");
          table.add("GpuSinks: own IPC handle", ok ? CheckTable.Outcome.PASS : CheckTable.Outcome.FAIL, "refused",
              cause.getMessage() + " (CUDA opens handles only in other processes)");
        }
      }
    } finally {
      system.terminate();
    }
  }

  private void expectCode(String check, CompletionStage<Long> stage, ErrorCode code) throws Exception {
    try {
      stage.toCompletableFuture().get(COPY_TIMEOUT_S, TimeUnit.SECONDS);
      table.fail(check, "", "succeeded; expected " + code);
    } catch (ExecutionException e) {
      Throwable cause = Failures.unwrap(e);
      ErrorCode got = TfsException.codeOf(cause);
      table.add(check, got == code ? CheckTable.Outcome.PASS : CheckTable.Outcome.FAIL, got.toString(),
          cause.getMessage());
    }
  }

  /**
   * Writes the pool to a file and reads it into GPU memory with cuFile, once per documented setting, each in
   * a process of its own (see {@link CufileAttempts}); prints what cuFile depends on, the reason of each
   * refusal (status fields, errno, the descriptor's bytes, cufile.log), which setting worked, and its best
   * rate beside the cache path's (host to device over 4 streams from pinned pages).
   */
  private void cufile(HostPool source, HostPool back, HostRegions registered, Pointer device) throws Exception {
    CuFile.Probe probe = probeCufile();
    if (!probe.available()) {
      table.skip("cuFile", probe.description());
      return;
    }
    table.info("cuFile mode", probe.mode(), probe.description());
    Path dir = Files.createTempDirectory(args.dir, "tensorfs-gpucheck");
    Path file = dir.resolve("cufile-check.bin");
    try {
      write(file, source);
      CufileEnvironment.describe(file).forEach(line -> System.out.println("cuFile environment: " + line));
      CufileAttempts.Outcome outcome = CufileAttempts.run(args, file, dir, table);
      if (outcome.firstWorking() == null) {
        table.fail("cuFile", "", "no setting read the file into GPU memory: see the tries above");
        return;
      }
      table.pass("cuFile works with", outcome.firstWorking(), "best " + gbs(outcome.bestGbs()) + " over the tries");
      table.info("cuFile vs cache path", String.format("%.2f x", outcome.bestGbs() / lastHostToDevice4),
          "cold cuFile read (" + probe.mode() + ") / host->device from pinned pages, 4 streams");
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
    }
  }

  /** cuFile from --cufile-lib or the loader's path; failing that, from where toolkits and wheels put it. */
  private CuFile.Probe probeCufile() {
    CuFile.Probe probe = CuFile.probe(args.cufileLibrary);
    if (probe.available() || !args.cufileLibrary.isEmpty()) return probe;
    java.util.Optional<Path> found = CufileLocator.find();
    if (found.isEmpty()) return probe;
    args.cufileLibrary = found.get().toString();
    System.out.println("libcufile found at " + args.cufileLibrary);
    return CuFile.probe(args.cufileLibrary);
  }

  private static void write(Path file, HostPool pool) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (ByteBuffer page : pool.pages) {
        ByteBuffer b = page.duplicate().clear();
        while (b.hasRemaining()) ch.write(b);
      }
      ch.force(true);
    }
  }

  private CopyEngine engine(int streams, HostRegions registered) {
    return new CopyEngine(runtime.device(args.device), runtime, streams, GpuSettings.defaults().copyPieceBytes(),
        registered, Runnable::run);
  }

  private static long copy(CopyEngine engine, boolean toDevice, List<ByteBuffer> host, long deviceAddress)
      throws Exception {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (toDevice) engine.toDevice(host, deviceAddress, done, () -> {});
    else engine.fromDevice(deviceAddress, host, done, () -> {});
    return done.get(COPY_TIMEOUT_S, TimeUnit.SECONDS);
  }

  interface Timed {
    long bytes() throws Exception;
  }

  /** The best rate in GB/s (10^9 bytes a second) over {@code --repeat} runs. */
  private double best(Timed run) throws Exception {
    double best = 0;
    for (int i = 0; i < args.repeat; i++) {
      long start = System.nanoTime();
      long bytes = run.bytes();
      double seconds = (System.nanoTime() - start) / 1e9;
      best = Math.max(best, bytes / seconds / 1e9);
    }
    return best;
  }

  private static String gbs(double gbs) {
    return String.format("%.1f GB/s", gbs);
  }

  static void cuda(String call, int rc) {
    if (rc != cudaError.cudaSuccess) {
      throw new IllegalStateException(call + " failed: " + cudaError.stringFor(rc));
    }
  }
}
