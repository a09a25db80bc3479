package io.tensorfs.gpu.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies between host buffers and device addresses of one GPU over several streams: cuts each copy into
 * pieces ({@link PiecePlanner}), queues them with cudaMemcpyAsync, records an event after the last piece on
 * each stream used, and hands the copy to its {@link CopyWatcher}, which completes the future. Queueing never
 * waits for the device.
 *
 * <p>Owned by one thread: the one that built it (bound to the GPU) makes every call. Host buffers must be
 * direct and stay untouched until the copy's future completes; their positions and limits are not changed.
 */
public final class CopyEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CopyEngine.class);
  private static final long STOP_TIMEOUT_MS = 10_000;

  private final DeviceApi device;
  private final IntFunction<String> errorNames;
  private final int streams;
  private final long pieceBytes;
  private final HostRegions registered;
  private final java.util.function.ToLongFunction<ByteBuffer> hostAddress;
  private final Queue<Integer> freeEvents = new ConcurrentLinkedQueue<>();
  private final CopyWatcher watcher;
  private final AtomicBoolean warnedUnregistered = new AtomicBoolean();
  private final AtomicLong unregisteredCopies = new AtomicLong();
  private int nextStream;
  private final GpuMetrics metrics;

  /**
   * Binds the calling thread to the device, creates the streams and starts the watcher thread.
   * Throws TfsException(UNAVAILABLE) when the device refuses.
   */
  public CopyEngine(DeviceApi device, CudaRuntime runtime, int streams, long pieceBytes, HostRegions registered,
      Executor completions) {
    this.device = device;
    this.errorNames = runtime::errorName;
    this.streams = streams;
    this.pieceBytes = pieceBytes;
    this.registered = registered;
    this.hostAddress = runtime::hostAddress;
    check(device.bindThread(), "cudaSetDevice");
    check(device.createStreams(streams), "cudaStreamCreate");
    this.watcher = new CopyWatcher(device, errorNames, completions, freeEvents,
        "tensorfs-gpu" + device.ordinal() + "-watcher-" + System.identityHashCode(this));
    watcher.start();
    this.metrics = new GpuMetrics(this, device.ordinal());
  }

  /** Copies the remaining bytes of {@code sources}, in order, to {@code deviceAddress}; then runs {@code afterDone}. */
  public void toDevice(List<ByteBuffer> sources, long deviceAddress, CompletableFuture<Long> done, Runnable afterDone) {
    issue(true, sources, deviceAddress, done, afterDone);
  }

  /** Copies from {@code deviceAddress} into the remaining bytes of {@code targets}, in order; then runs {@code afterDone}. */
  public void fromDevice(long deviceAddress, List<ByteBuffer> targets, CompletableFuture<Long> done, Runnable afterDone) {
    issue(false, targets, deviceAddress, done, afterDone);
  }

  /** Copies so far whose host buffers were outside the registered regions (pageable, slower). */
  public long unregisteredCopies() {
    return unregisteredCopies.get();
  }

  public int streams() {
    return streams;
  }

  private void issue(boolean toDevice, List<ByteBuffer> host, long deviceAddress, CompletableFuture<Long> done,
      Runnable afterDone) {
    long startNanos = System.nanoTime();
    done.whenComplete((n, e) -> metrics.copied(toDevice, startNanos, n, e));
    List<ByteBuffer> buffers = List.copyOf(host);
    noteRegistration(buffers);
    List<Piece> pieces = PiecePlanner.plan(buffers, 0, pieceBytes, streams, nextStream);
    nextStream = (nextStream + 1) % streams;
    boolean[] used = new boolean[streams];
    RuntimeException failure = null;
    for (Piece p : pieces) {
      ByteBuffer b = buffers.get(p.buffer());
      long address = deviceAddress + p.deviceOffset();
      int rc = toDevice
          ? device.copyToDevice(address, b, p.hostOffset(), p.bytes(), p.stream())
          : device.copyToHost(b, p.hostOffset(), address, p.bytes(), p.stream());
      if (rc != CudaRuntime.SUCCESS) {
        failure = new TfsException(ErrorCode.IO_ERROR, "gpu" + device.ordinal() + ": cudaMemcpyAsync refused a piece of "
            + p.bytes() + " bytes: " + errorNames.apply(rc));
        break;
      }
      used[p.stream()] = true;
    }
    int[] events = recordEvents(used);
    long bytes = PiecePlanner.totalBytes(buffers);
    watcher.submit(new PendingCopy(done, events, bytes, failure, afterDone, buffers));
  }

  private int[] recordEvents(boolean[] used) {
    int count = 0;
    for (boolean u : used) if (u) count++;
    int[] events = new int[count];
    int n = 0;
    for (int s = 0; s < streams; s++) {
      if (!used[s]) continue;
      int event = takeEvent();
      if (event < 0 || device.recordEvent(event, s) != CudaRuntime.SUCCESS) {
        // No event to watch this stream by: wait for it here, on this rare error path only.
        if (event >= 0) freeEvents.add(event);
        device.synchronize();
        continue;
      }
      events[n++] = event;
    }
    return n == count ? events : java.util.Arrays.copyOf(events, n);
  }

  private int takeEvent() {
    Integer free = freeEvents.poll();
    return free != null ? free : device.createEvent();
  }

  private void noteRegistration(List<ByteBuffer> buffers) {
    for (ByteBuffer b : buffers) {
      if (!b.isDirect()) throw new IllegalArgumentException("host buffers of a GPU copy must be direct");
      long address = hostAddress.applyAsLong(b) + b.position();
      if (!registered.contains(address, b.remaining())) {
        unregisteredCopies.incrementAndGet();
        if (warnedUnregistered.compareAndSet(false, true)) {
          log.warn("gpu{}: a copy uses host memory outside the registered page pool: it works, at pageable speed; "
              + "further such copies are counted, not logged", device.ordinal());
        }
        return;
      }
    }
  }

  private void check(int rc, String call) {
    if (rc != CudaRuntime.SUCCESS) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "gpu" + device.ordinal() + ": " + call + " failed: "
          + errorNames.apply(rc));
    }
  }

  /** Waits for the streams, stops the watcher (completing what was in flight) and frees streams and events. */
  @Override
  public void close() {
    device.synchronize();
    watcher.stop(STOP_TIMEOUT_MS);
    device.close();
  }
}
