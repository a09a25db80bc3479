package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gpu.internal.CudaRuntime;
import io.tensorfs.gpu.internal.CufileExecutor;
import io.tensorfs.gpu.internal.FileToDevice;
import io.tensorfs.gpu.internal.HostRegions;
import io.tensorfs.gpu.internal.JCudaRuntime;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's GPU copies ({@link DeviceCopies}): one {@link GpuSink} actor per GPU, and the page pool pinned
 * for DMA. Routes each copy to the sink of the buffer's device. Thread safe: any thread may call it.
 *
 * <p>{@link #start} blocks its caller while it looks for GPUs and pins the page pool (about 0.1-0.3 s per GiB
 * on current drivers): call it once while the node starts, not from inside an actor's message handling.
 *
 * <p>With {@code tensorfs.gpu.cufile = on} it also opens cuFile and offers reads of local files straight
 * into clients' GPU memory ({@link #readFile}, {@link #fileReads()}): each sink maps the client's buffer, a
 * pool of {@value #CUFILE_THREADS} cuFile threads does the blocking reads.
 */
public final class GpuSinks implements DeviceCopies {
  private static final Logger log = LoggerFactory.getLogger(GpuSinks.class);
  /** Threads doing cuFile reads at once, for the whole node. */
  public static final int CUFILE_THREADS = 4;

  private final String node;
  private final List<ActorRef<GpuSink.Command>> sinks;
  private final String description;
  private final FileToDevice cufile;
  private final String cufileDescription;

  private GpuSinks(String node, List<ActorRef<GpuSink.Command>> sinks, String description, FileToDevice cufile,
      String cufileDescription) {
    this.node = node;
    this.sinks = List.copyOf(sinks);
    this.description = description;
    this.cufile = cufile;
    this.cufileDescription = cufileDescription;
  }

  /**
   * Looks for GPUs through JCuda, pins {@code hostRegions} (direct buffers that are never freed), and starts
   * a sink per GPU under {@code system}. With no usable GPU the result is {@link #available() unavailable}
   * and says why, unless {@code enabled = on}, which throws TfsException(UNAVAILABLE).
   */
  public static GpuSinks start(ActorSystem<?> system, GpuSettings settings, List<ByteBuffer> hostRegions) {
    return start(system, settings, hostRegions, JCudaRuntime::new);
  }

  /** {@link #start(ActorSystem, GpuSettings, List)} over a given CUDA runtime: for tests. */
  public static GpuSinks start(ActorSystem<?> system, GpuSettings settings, List<ByteBuffer> hostRegions,
      Supplier<? extends CudaRuntime> runtimes) {
    String node = system.settings().config().getString("tensorfs.node.id");
    if (settings.enabled() == GpuSettings.Enabled.OFF) {
      return unavailable(node, "GPU use is off (" + GpuSettings.SECTION + ".enabled = off)");
    }
    CudaRuntime runtime;
    CudaRuntime.Probe probe;
    try {
      runtime = runtimes.get();
      probe = runtime.probe();
    } catch (LinkageError | RuntimeException e) {
      runtime = null;
      probe = CudaRuntime.Probe.none("CUDA did not load: " + e);
    }
    if (probe.devices() == 0) {
      if (settings.enabled() == GpuSettings.Enabled.ON) {
        throw new TfsException(ErrorCode.UNAVAILABLE, GpuSettings.SECTION + ".enabled = on, but " + probe.reason());
      }
      return unavailable(node, probe.reason());
    }
    String pinned = "";
    HostRegions registered = HostRegions.none();
    if (settings.registerHostMemory() && !hostRegions.isEmpty()) {
      Registration r = register(runtime, hostRegions);
      registered = r.regions();
      pinned = "; " + r.summary();
    }
    List<ActorRef<GpuSink.Command>> sinks = new ArrayList<>();
    for (int d = 0; d < probe.devices(); d++) {
      sinks.add(system.systemActorOf(
          GpuSink.create(runtime, d, settings, registered, system.executionContext()),
          "tensorfs-gpu-sink-" + d,
          DispatcherSelector.fromConfig(GpuSettings.SINK_DISPATCHER)));
    }
    Cufile c = openCufile(settings, runtime);
    GpuSinks started = new GpuSinks(node, sinks, probe.description() + pinned, c.reads(), c.description());
    log.info("GPU sinks: {}; cuFile: {}", started.describe(), c.description());
    return started;
  }

  private record Cufile(FileToDevice reads, String description) {}

  private static Cufile openCufile(GpuSettings settings, CudaRuntime runtime) {
    if (!settings.cufile()) return new Cufile(null, "cuFile is off (" + GpuSettings.SECTION + ".cufile = off)");
    try {
      CuFile opened = CuFile.open(settings.cufileLibrary(), settings.cufileForceCompat());
      return new Cufile(new CufileExecutor(opened, runtime, CUFILE_THREADS),
          "cuFile " + opened.library() + ", mode " + opened.mode() + "; " + opened.setup());
    } catch (TfsException e) {
      return new Cufile(null, e.getMessage());
    } catch (LinkageError | RuntimeException e) {
      return new Cufile(null, "cuFile failed to load: " + e);
    }
  }

  private static GpuSinks unavailable(String node, String reason) {
    log.info("GPU sinks: none: {}", reason);
    return new GpuSinks(node, List.of(), reason, null, "no GPU: " + reason);
  }

  private record Registration(HostRegions regions, String summary) {}

  private static Registration register(CudaRuntime runtime, List<ByteBuffer> regions) {
    long startNs = System.nanoTime();
    List<long[]> ok = new ArrayList<>();
    long bytes = 0;
    for (ByteBuffer region : regions) {
      if (!region.isDirect()) {
        log.warn("GPU sinks: a host region that is not a direct buffer is not pinned");
        continue;
      }
      int rc = runtime.hostRegister(region);
      if (rc != CudaRuntime.SUCCESS) {
        log.warn("GPU sinks: cudaHostRegister of a {} byte region failed: {}; copies from it run at pageable speed",
            region.capacity(), runtime.errorName(rc));
        continue;
      }
      ok.add(new long[] {runtime.hostAddress(region), region.capacity()});
      bytes += region.capacity();
    }
    long ms = (System.nanoTime() - startNs) / 1_000_000;
    String summary = "host memory pinned: " + ok.size() + " of " + regions.size() + " regions, " + bytes + " bytes in "
        + ms + " ms";
    log.info("GPU sinks: {}", summary);
    return new Registration(HostRegions.of(ok.toArray(new long[0][])), summary);
  }

  @Override
  public boolean available() {
    return !sinks.isEmpty();
  }

  @Override
  public String describe() {
    return description;
  }

  /** The sinks, by device ordinal. */
  public List<ActorRef<GpuSink.Command>> sinks() {
    return sinks;
  }

  @Override
  public CompletionStage<Long> toDevice(List<ByteBuffer> sources, GpuBuffer target) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    route(target.device(), done).ifPresent(s -> s.tell(new GpuSink.ToDevice(List.copyOf(sources), target, done)));
    return done;
  }

  @Override
  public CompletionStage<Long> fromDevice(GpuBuffer source, List<ByteBuffer> targets) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    route(source.device(), done).ifPresent(s -> s.tell(new GpuSink.FromDevice(source, List.copyOf(targets), done)));
    return done;
  }

  /**
   * Reads {@code target.length()} bytes of {@code file} from {@code fileOffset} straight into the client's
   * GPU buffer with cuFile (see {@link DeviceFileReads#readFile}); fails with UNAVAILABLE where cuFile is
   * not open on this node.
   */
  public CompletionStage<Long> readFile(Path file, long fileOffset, GpuBuffer target) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (cufile == null) {
      done.completeExceptionally(new TfsException(ErrorCode.UNAVAILABLE,
          "cuFile reads are unavailable on node " + node + ": " + cufileDescription));
      return done;
    }
    route(target.device(), done).ifPresent(s -> s.tell(new GpuSink.ReadFile(file, fileOffset, target, cufile, done)));
    return done;
  }

  /** This node's cuFile reads, for the gateway. */
  public DeviceFileReads fileReads() {
    GpuSinks self = this;
    return new DeviceFileReads() {
      @Override
      public boolean available() {
        return cufile != null && !sinks.isEmpty();
      }

      @Override
      public String describe() {
        return cufileDescription;
      }

      @Override
      public CompletionStage<Long> readFile(Path file, long fileOffset, GpuBuffer target) {
        return self.readFile(file, fileOffset, target);
      }
    };
  }

  private Optional<ActorRef<GpuSink.Command>> route(int device, CompletableFuture<Long> done) {
    if (sinks.isEmpty()) {
      done.completeExceptionally(new TfsException(ErrorCode.UNAVAILABLE, "no GPU on node " + node + ": " + description));
      return Optional.empty();
    }
    if (device >= sinks.size()) {
      done.completeExceptionally(new TfsException(ErrorCode.BAD_REQUEST, "no GPU " + device + " on this node ("
          + sinks.size() + " GPUs)"));
      return Optional.empty();
    }
    return Optional.of(sinks.get(device));
  }
}
