package io.tensorfs.gpu;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gpu.internal.CopyEngine;
import io.tensorfs.gpu.internal.CudaRuntime;
import io.tensorfs.gpu.internal.DeviceApi;
import io.tensorfs.gpu.internal.FileToDevice;
import io.tensorfs.gpu.internal.HostRegions;
import io.tensorfs.gpu.internal.IpcHandleCache;
import io.tensorfs.gpu.internal.IpcKey;
import io.tensorfs.gpu.internal.PiecePlanner;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The actor of one GPU: maps clients' allocations from their CUDA IPC handles (kept open in an LRU cache)
 * and queues copies between host buffers and them on the GPU's streams. It runs alone on a thread of
 * {@link GpuSettings#SINK_DISPATCHER}, so that all its CUDA calls come from one thread bound to its GPU; it
 * never waits for a copy: a watcher thread completes each copy's future and tells it when the allocation is
 * free again.
 *
 * <p>Its commands carry host buffers and futures, so they are local only, never serialized.
 */
public final class GpuSink extends AbstractBehavior<GpuSink.Command> {

  public sealed interface Command {}

  /** Copy the remaining bytes of {@code sources}, in order, into {@code target}; complete {@code done}. */
  public record ToDevice(List<ByteBuffer> sources, GpuBuffer target, CompletableFuture<Long> done) implements Command {}

  /** Copy {@code source} into the remaining bytes of {@code targets}, in order; complete {@code done}. */
  public record FromDevice(GpuBuffer source, List<ByteBuffer> targets, CompletableFuture<Long> done) implements Command {}

  /**
   * Read {@code target.length()} bytes of {@code file} from {@code fileOffset} into {@code target} with
   * {@code reads} (cuFile); complete {@code done} with the bytes read.
   */
  public record ReadFile(Path file, long fileOffset, GpuBuffer target, FileToDevice reads,
      CompletableFuture<Long> done) implements Command {}

  /** A copy using the allocation of {@code key} finished. */
  private record CopyFinished(IpcKey key) implements Command {}

  /** An open client allocation: its base address and size (-1 when the driver did not say). */
  private record Mapping(long base, long bytes) {}

  private final DeviceApi device;
  private final CudaRuntime runtime;
  private final CopyEngine engine;
  private final IpcHandleCache<Mapping> mappings;

  public static Behavior<Command> create(CudaRuntime runtime, int ordinal, GpuSettings settings,
      HostRegions registered, Executor completions) {
    return Behaviors.setup(ctx -> new GpuSink(ctx, runtime, ordinal, settings, registered, completions));
  }

  private GpuSink(ActorContext<Command> context, CudaRuntime runtime, int ordinal, GpuSettings settings,
      HostRegions registered, Executor completions) {
    super(context);
    this.runtime = runtime;
    this.device = runtime.device(ordinal);
    this.engine = new CopyEngine(device, runtime, settings.streams(), settings.copyPieceBytes(), registered,
        completions);
    this.mappings = new IpcHandleCache<>(settings.ipcCacheEntries(), this::unmap);
    context.getLog().info("gpu{}: sink ready, {} streams, pieces of {} bytes, up to {} open client allocations",
        ordinal, settings.streams(), settings.copyPieceBytes(), settings.ipcCacheEntries());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ToDevice.class, c -> copy(true, c.sources(), c.target(), c.done()))
        .onMessage(FromDevice.class, c -> copy(false, c.targets(), c.source(), c.done()))
        .onMessage(ReadFile.class, this::readFile)
        .onMessage(CopyFinished.class, this::onCopyFinished)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> copy(boolean toDevice, List<ByteBuffer> host, GpuBuffer gpu, CompletableFuture<Long> done) {
    try {
      validate(host, gpu);
      IpcKey key = new IpcKey(gpu.ipcHandle());
      Mapping m = open(key, gpu);
      ActorRef<Command> self = getContext().getSelf();
      Runnable release = () -> self.tell(new CopyFinished(key));
      if (toDevice) engine.toDevice(host, m.base() + gpu.offset(), done, release);
      else engine.fromDevice(m.base() + gpu.offset(), host, done, release);
    } catch (TfsException e) {
      done.completeExceptionally(e);
    } catch (RuntimeException e) {
      done.completeExceptionally(new TfsException(ErrorCode.INTERNAL, "gpu" + device.ordinal() + ": " + e, e));
    }
    return this;
  }

  /** The client's allocation, opened (or found open) and held for this copy; the range must lie inside it. */
  private Mapping open(IpcKey key, GpuBuffer gpu) {
    Mapping m = mappings.acquire(key, this::map);
    if (m.bytes() >= 0 && gpu.offset() + gpu.length() > m.bytes()) {
      mappings.release(key);
      throw new TfsException(ErrorCode.BAD_REQUEST, "GPU range " + gpu.offset() + "+" + gpu.length()
          + " lies beyond its allocation of " + m.bytes() + " bytes");
    }
    return m;
  }

  /** Maps the target here (the allocation stays open until the read ends), then reads on cuFile's threads. */
  private Behavior<Command> readFile(ReadFile r) {
    try {
      GpuBuffer gpu = r.target();
      IpcKey key = new IpcKey(gpu.ipcHandle());
      Mapping m = open(key, gpu);
      ActorRef<Command> self = getContext().getSelf();
      CompletionStage<Long> read;
      try {
        read = r.reads().read(device.ordinal(), r.file(), r.fileOffset(), m.base() + gpu.offset(), gpu.length());
      } catch (RuntimeException e) {
        read = CompletableFuture.failedFuture(e);
      }
      read.whenComplete((n, e) -> {
        self.tell(new CopyFinished(key));
        if (e == null) r.done().complete(n);
        else r.done().completeExceptionally(Failures.unwrap(e));
      });
    } catch (TfsException e) {
      r.done().completeExceptionally(e);
    } catch (RuntimeException e) {
      r.done().completeExceptionally(new TfsException(ErrorCode.INTERNAL, "gpu" + device.ordinal() + ": " + e, e));
    }
    return this;
  }

  private static void validate(List<ByteBuffer> host, GpuBuffer gpu) {
    for (ByteBuffer b : host) {
      if (!b.isDirect()) throw new TfsException(ErrorCode.BAD_REQUEST, "host buffers of a GPU copy must be direct");
    }
    long bytes = PiecePlanner.totalBytes(host);
    if (bytes != gpu.length()) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "host buffers hold " + bytes + " bytes for a GPU range of "
          + gpu.length());
    }
  }

  private Mapping map(IpcKey key) {
    long[] base = new long[1];
    int rc = device.openIpc(key.bytes(), base);
    if (rc != CudaRuntime.SUCCESS) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "CUDA IPC handle refused: " + runtime.errorName(rc));
    }
    return new Mapping(base[0], device.allocationBytes(base[0]));
  }

  private void unmap(Mapping m) {
    int rc = device.closeIpc(m.base());
    if (rc != CudaRuntime.SUCCESS) {
      getContext().getLog().warn("gpu{}: cudaIpcCloseMemHandle failed: {}", device.ordinal(), runtime.errorName(rc));
    }
  }

  private Behavior<Command> onCopyFinished(CopyFinished f) {
    mappings.release(f.key());
    return this;
  }

  private Behavior<Command> onStop() {
    engine.close();
    mappings.closeAll();
    return this;
  }
}
