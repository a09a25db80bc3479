package io.tensorfs.client.local;

import static io.tensorfs.client.local.Layout.*;

import io.tensorfs.gateway.grpc.v1.AttachLocalReply;
import io.tensorfs.gateway.grpc.v1.AttachLocalRequest;
import io.tensorfs.gateway.grpc.v1.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The client's side of a local channel to the node on this host: a shared-memory file of submission and
 * completion rings and request slots ({@code /dev/shm/tfs-ch-<pid>-<hex>}), attached through gRPC
 * {@code AttachLocal}. A request takes a free slot, is written into it and pushed; its completion is
 * reaped either by the thread that waits for it ({@link #join}, which polls the ring itself: the lowest
 * latency) or by the channel's reaper thread. At most {@code slots} requests are in flight; a submitter
 * waits for a free slot. Thread-safe.
 */
public final class LocalChannel implements AutoCloseable {
  /** Slots of a channel made by {@link #attach(Function)}. */
  public static final int DEFAULT_SLOTS = 64;
  /** Bytes of each slot: room for inline data up to about 60 KiB. */
  public static final int DEFAULT_SLOT_BYTES = 64 << 10;

  private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long STALE_NODE_MS = 10_000;
  /** A submit this soon after a join does not wake the reaper: the caller is about to join and reap itself. */
  private static final long JOINED_RECENTLY_NS = 10_000_000;

  private final Path directory;
  private final Path file;
  private final String name;
  private final byte[] nonce;
  private final int slots;
  private final int mask;
  private final MappedByteBuffer map;
  private final Slot[] slotViews;
  private final Pending<?>[] pending;
  private final ArrayBlockingQueue<Integer> free;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Threads in {@link #join}: while there are some, they reap and the reaper thread stays asleep. */
  private final AtomicInteger joining = new AtomicInteger();
  private volatile long joinedAtNs = System.nanoTime() - JOINED_RECENTLY_NS;
  private final ReentrantLock reaping = new ReentrantLock();
  private final Object pushing = new Object();
  private final Map<String, CompletableFuture<Integer>> registered = new ConcurrentHashMap<>();
  private int sqTail;
  private int cqHead;
  private volatile boolean closed;
  private volatile Throwable broken;
  private volatile long channelId;
  private volatile String nodeId = "";
  private Thread reaper;
  private Staging staging;

  private record Pending<T>(Function<Slot, T> onDone, Runnable always, CompletableFuture<T> result) {
    void finish(Slot slot, List<Runnable> later) {
      T value;
      try {
        value = onDone.apply(slot);
      } catch (RuntimeException e) {
        always.run();
        later.add(() -> result.completeExceptionally(e));
        return;
      }
      always.run();
      later.add(() -> result.complete(value));
    }

    void fail(Throwable e) {
      always.run();
      result.completeExceptionally(e);
    }
  }

  private final int slotBytes;

  private LocalChannel(Path file, String name, byte[] nonce, int slots, int slotBytes, MappedByteBuffer map) {
    this.directory = file.getParent();
    this.slotBytes = slotBytes;
    this.file = file;
    this.name = name;
    this.nonce = nonce;
    this.slots = slots;
    this.mask = slots - 1;
    this.map = map;
    this.slotViews = new Slot[slots];
    this.pending = new Pending<?>[slots];
    this.free = new ArrayBlockingQueue<>(slots);
    for (int k = 0; k < slots; k++) {
      slotViews[k] = new Slot(k, map.slice(HEADER_BYTES + k * slotBytes, slotBytes));
      free.add(k);
    }
  }

  /**
   * Makes a channel file of {@link #DEFAULT_SLOTS} slots in {@code /dev/shm} and asks the node to attach it
   * with {@code attachCall} (gRPC AttachLocal, carrying the caller's token). Fails as the call does (NOT_FOUND:
   * the node is on another host), after removing the file.
   */
  public static CompletionStage<LocalChannel> attach(Function<AttachLocalRequest, CompletionStage<AttachLocalReply>> attachCall) {
    return attach(Path.of("/dev/shm"), DEFAULT_SLOTS, DEFAULT_SLOT_BYTES, ProcessHandle.current().pid(), attachCall);
  }

  /** {@link #attach(Function)} with the file in {@code directory}, its sizes, and the pid the node watches. */
  public static CompletionStage<LocalChannel> attach(Path directory, int slots, int slotBytes, long pid,
      Function<AttachLocalRequest, CompletionStage<AttachLocalReply>> attachCall) {
    LocalChannel ch;
    try {
      ch = create(directory, slots, slotBytes, pid);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    AttachLocalRequest request = AttachLocalRequest.newBuilder().setShmName(ch.name).setPid(pid)
        .setNonce(com.google.protobuf.ByteString.copyFrom(ch.nonce)).build();
    CompletionStage<AttachLocalReply> reply;
    try {
      reply = attachCall.apply(request);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return reply.handle((r, e) -> {
      if (e != null) {
        ch.removeFile();
        throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
      }
      ch.channelId = r.getChannelId();
      ch.nodeId = r.getNodeId();
      ch.startReaper();
      return ch;
    });
  }

  /** Makes and maps the file and writes its header; the node has not seen it yet. */
  static LocalChannel create(Path directory, int slots, int slotBytes, long pid) {
    if (slots < 1 || slots > 1024 || Integer.bitCount(slots) != 1) throw new IllegalArgumentException("slots " + slots);
    if (slotBytes < 8192 || slotBytes > 1 << 20 || slotBytes % 4096 != 0) throw new IllegalArgumentException("slot bytes " + slotBytes);
    String name = "tfs-ch-" + pid + "-" + HexFormat.of().formatHex(SharedBuffer.randomBytes(8));
    Path file = directory.resolve(name);
    long size = HEADER_BYTES + (long) slots * slotBytes;
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        MappedByteBuffer map = fc.map(FileChannel.MapMode.READ_WRITE, 0, size);
        map.order(ByteOrder.LITTLE_ENDIAN);
        byte[] nonce = SharedBuffer.randomBytes(NONCE_BYTES);
        map.putLong(0, MAGIC);
        map.putInt(8, VERSION);
        map.putInt(12, slots);
        map.putInt(16, slotBytes);
        map.put(NONCE_AT, nonce);
        INT.setRelease(map, CLIENT_STATE_AT, CLIENT_OPEN);
        return new LocalChannel(file, name, nonce, slots, slotBytes, map);
      }
    } catch (IOException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // Nothing more to clean.
      }
      throw new UncheckedIOException("cannot make channel file " + file, e);
    }
  }

  /** The channel file's name (without {@code /dev/shm/}). */
  public String name() {
    return name;
  }

  public long channelId() {
    return channelId;
  }

  /** The node that attached the channel. */
  public String nodeId() {
    return nodeId;
  }

  /** Requests in flight. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Takes a free slot (waiting for one while all are in flight), lets {@code encode} write a request into it,
   * pushes it, and completes with what {@code onDone} makes of the completion (read on the reaping thread while
   * the slot is still this request's; for a failed request it is not called: the stage fails with the node's
   * error). {@code encode} failing gives the slot back and fails the stage.
   */
  public <T> CompletableFuture<T> submit(java.util.function.Consumer<Slot> encode, Function<Slot, T> onDone) {
    return submit(encode, onDone, () -> {});
  }

  /** {@link #submit(java.util.function.Consumer, Function)}, running {@code always} when the request ends, however. */
  <T> CompletableFuture<T> submit(java.util.function.Consumer<Slot> encode, Function<Slot, T> onDone, Runnable always) {
    Slot slot;
    try {
      slot = acquire();
    } catch (RuntimeException e) {
      always.run();
      return CompletableFuture.failedFuture(e);
    }
    try {
      encode.accept(slot);
    } catch (RuntimeException e) {
      free.add(slot.index);
      always.run();
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    pending[slot.index] = new Pending<>(s -> {
      if (s.status != 0) {
        String message = s.errorText();
        Status code = Status.forNumber(s.status);
        throw new ChannelException(code == null ? Status.INTERNAL : code, message, null);
      }
      return onDone.apply(s);
    }, always, result);
    inFlight.incrementAndGet();
    push(slot.index);
    return result;
  }

  /**
   * Reads {@code path} from {@code offset} into {@code into}, in order, each from its position (not moved);
   * completes with the bytes read (short at the end of the file).
   */
  public CompletableFuture<Long> read(String path, long offset, List<ByteBuffer> into, int flags) {
    Transfer t = new Transfer(this, into, false);
    return t.prepare(inlineRoom(path, into.size(), 0)).thenCompose(x -> submit(s -> {
      s.begin(OP_READ, flags, into.size(), offset);
      if (!s.string(path) || !s.align8()) throw new IllegalArgumentException("the path does not fit in a slot");
      int sgeAt = s.skip(SGE_BYTES * into.size());
      if (sgeAt < 0) throw new IllegalArgumentException("too many buffers for one request");
      t.encode(s, sgeAt);
      s.finish(0);
    }, s -> {
      t.copyBack(s.value());
      return s.value();
    }, t::release));
  }

  /**
   * Writes the remaining bytes of {@code from}, in order, as the whole new version of {@code path}
   * ({@code policy} empty: from {@code flags}); completes with the bytes written.
   */
  public CompletableFuture<Long> write(String path, String policy, List<ByteBuffer> from, int flags) {
    Transfer t = new Transfer(this, from, true);
    byte[] policyUtf8 = policy.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return t.prepare(inlineRoom(path, from.size(), policyUtf8.length)).thenCompose(x -> submit(s -> {
      s.begin(OP_WRITE, flags, from.size(), 0);
      if (!s.string(path) || !s.raw(policyUtf8) || !s.align8()) {
        throw new IllegalArgumentException("the path and policy do not fit in a slot");
      }
      int sgeAt = s.skip(SGE_BYTES * from.size());
      if (sgeAt < 0) throw new IllegalArgumentException("too many buffers for one request");
      t.encode(s, sgeAt);
      s.finish(policyUtf8.length);
    }, Slot::value, t::release));
  }

  /** The bytes of inline data a slot still takes after the record, strings and SGEs of a request. */
  long inlineRoom(String path, int sges, int more) {
    long args = ARGS_AT + 2 + path.length() * 3L + more + 8 + (long) SGE_BYTES * sges;
    return Math.max(0, slotBytes - ERROR_TEXT_FROM_END - args);
  }

  int slotBytes() {
    return slotBytes;
  }

  /**
   * A Batch submission (preadv/pwritev of the gRPC batch API) over the channel: its host segments and GPU
   * allocations are registered once each, then the request runs as it would over gRPC. Completes with the
   * completion gRPC would give (a failure is a completion with its status, not a failed stage).
   */
  public CompletableFuture<io.tensorfs.gateway.grpc.v1.Completion> batch(io.tensorfs.gateway.grpc.v1.Submission sub) {
    List<CompletableFuture<Integer>> ids = new ArrayList<>();
    try {
      for (io.tensorfs.gateway.grpc.v1.Sge sge : sub.getSgesList()) {
        if (sge.hasGpu()) {
          ids.add(registerGpu(sge.getGpu().getHandle().toByteArray(), sge.getGpu().getDevice(), 1L << 62));
        } else {
          String seg = sge.getHost().getName();
          long size;
          try {
            size = Files.size(directory.resolve(seg));
          } catch (IOException | RuntimeException e) {
            throw new ChannelException(Status.BAD_REQUEST, "no shared-memory segment " + seg + " on this host", e);
          }
          ids.add(registerHost(seg, size));
        }
      }
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failed(sub.getId(), e));
    }
    int op = sub.getOp() == io.tensorfs.gateway.grpc.v1.Op.PWRITEV ? OP_WRITE : OP_READ;
    byte[] policy = sub.getPolicy().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return CompletableFuture.allOf(ids.toArray(CompletableFuture[]::new)).thenCompose(x -> submit(s -> {
      s.begin(op, sub.getFlags(), sub.getSgesCount(), sub.getOffset());
      if (!s.string(sub.getPath()) || !s.raw(policy) || !s.align8()) throw new IllegalArgumentException("the path does not fit in a slot");
      for (int i = 0; i < sub.getSgesCount(); i++) {
        io.tensorfs.gateway.grpc.v1.Sge sge = sub.getSges(i);
        if (!s.sge(ids.get(i).getNow(0), sge.getOffset(), sge.getLength())) throw new IllegalArgumentException("too many SGEs for one request");
      }
      s.finish(policy.length);
    }, s -> io.tensorfs.gateway.grpc.v1.Completion.newBuilder().setId(sub.getId()).setValue(s.value()).build()))
        .exceptionally(e -> failed(sub.getId(), e));
  }

  private static io.tensorfs.gateway.grpc.v1.Completion failed(long id, Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    Status code = cause instanceof ChannelException t ? t.code() : Status.BAD_REQUEST;
    return io.tensorfs.gateway.grpc.v1.Completion.newBuilder().setId(id).setStatus(code)
        .setMessage(String.valueOf(cause.getMessage())).build();
  }

  /** A NOP request: the bare round trip. */
  public CompletableFuture<Long> nop() {
    return submit(s -> s.begin(OP_NOP, 0, 0, 0).finish(0), Slot::value);
  }

  /**
   * Waits for {@code f}, reaping completions on this thread meanwhile (spinning, then yielding, then parking
   * briefly): the lowest latency for a caller that waits anyway. Throws the stage's failure unwrapped.
   */
  public <T> T join(CompletableFuture<T> f, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    joinedAtNs = System.nanoTime();
    joining.incrementAndGet();
    try {
      waitReaping(f, timeout, deadline);
    } finally {
      joining.decrementAndGet();
    }
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }

  private void waitReaping(CompletableFuture<?> f, Duration timeout, long deadline) {
    int idle = 0;
    while (!f.isDone()) {
      if (reap() > 0) {
        idle = 0;
        continue;
      }
      if (++idle < 2000) {
        Thread.onSpinWait();
      } else if (idle < 2100) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(20_000);
        if (System.nanoTime() - deadline > 0) {
          throw new ChannelException(Status.UNAVAILABLE, "no completion from the node within " + timeout,
              new TimeoutException());
        }
      }
    }
  }

  /** The id of host segment {@code segment} on this channel, registering it with the node the first time. */
  public CompletableFuture<Integer> registerHost(String segment, long sizeBytes) {
    return registered.computeIfAbsent(segment, n -> submit(s -> {
      s.begin(OP_REGISTER_HOST, 0, 0, 0);
      if (!s.string(n) || !s.u64(sizeBytes)) throw new IllegalArgumentException("segment name too long");
      s.finish(0);
    }, s -> (int) s.value()).whenComplete((id, e) -> {
      if (e != null) registered.remove(n);
    }));
  }

  /** Drops a host segment's registration here and on the node (which unmaps it); nothing when it has none. */
  public CompletableFuture<Void> unregisterHost(String segment) {
    CompletableFuture<Integer> id = registered.remove(segment);
    if (id == null) return CompletableFuture.completedFuture(null);
    return id.thenCompose(bufferId -> submit(s -> {
      s.begin(OP_UNREGISTER, 0, 0, bufferId);
      s.finish(0);
    }, s -> (Void) null));
  }

  /**
   * The id of a CUDA allocation (its 64-byte IPC handle of the base, on {@code device}) on this channel,
   * registering it the first time; UNAVAILABLE on a node without a GPU.
   */
  public CompletableFuture<Integer> registerGpu(byte[] ipcHandle, int device, long sizeBytes) {
    if (ipcHandle.length != 64) throw new IllegalArgumentException("a CUDA IPC handle is 64 bytes");
    String key = "gpu:" + device + ":" + HexFormat.of().formatHex(ipcHandle);
    return registered.computeIfAbsent(key, n -> submit(s -> {
      s.begin(OP_REGISTER_GPU, 0, 0, 0);
      s.raw(ipcHandle);
      s.u32(device);
      s.u32(0);
      s.u64(sizeBytes);
      s.finish(0);
    }, s -> (int) s.value()).whenComplete((id, e) -> {
      if (e != null) registered.remove(n);
    }));
  }

  /** The channel's own staging segment, made on first use ({@code sizeBytes} of it). */
  synchronized Staging staging() {
    if (staging == null) staging = new Staging(this, SharedBuffer.allocate(Staging.DEFAULT_BYTES));
    return staging;
  }

  private Slot acquire() {
    check();
    Integer k = free.poll();
    while (k == null) {
      reap();
      try {
        k = free.poll(100, TimeUnit.MICROSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChannelException(Status.UNAVAILABLE, "interrupted waiting for a free slot", e);
      }
      check();
    }
    return slotViews[k];
  }

  private void check() {
    if (broken != null) throw new ChannelException(Status.UNAVAILABLE, "the local channel is closed: " + broken.getMessage(), broken);
    if (closed) throw new ChannelException(Status.UNAVAILABLE, "the local channel is closed", null);
  }

  private void push(int slot) {
    synchronized (pushing) {
      map.putInt(SQ_AT + 4 * (sqTail & mask), slot);
      sqTail++;
      INT.setRelease(map, SQ_TAIL_AT, sqTail);
    }
    Thread r = reaper;
    if (r != null && System.nanoTime() - joinedAtNs > JOINED_RECENTLY_NS) LockSupport.unpark(r);
  }

  /** Takes every completion the node pushed; returns how many. Any thread; one at a time reaps. */
  int reap() {
    if (!reaping.tryLock()) return 0;
    List<Runnable> later = null;
    int n = 0;
    try {
      int tail = (int) INT.getAcquire(map, CQ_TAIL_AT);
      while (cqHead - tail < 0) {
        int at = CQ_AT + CQ_ENTRY_BYTES * (cqHead & mask);
        int slot = map.getInt(at);
        int status = map.getInt(at + 4);
        long value = map.getLong(at + 8);
        cqHead++;
        n++;
        if (slot < 0 || slot >= slots || pending[slot] == null) continue;
        Pending<?> p = pending[slot];
        pending[slot] = null;
        Slot s = slotViews[slot];
        s.status = status;
        s.value = value;
        if (later == null) later = new ArrayList<>(4);
        p.finish(s, later);
        free.add(slot);
        inFlight.decrementAndGet();
      }
      if (n > 0) INT.setRelease(map, CQ_HEAD_AT, cqHead);
    } finally {
      reaping.unlock();
    }
    if (later != null) for (Runnable r : later) r.run();
    return n;
  }

  private void startReaper() {
    Thread t = new Thread(this::reapLoop, "tensorfs-local-reaper-" + channelId);
    t.setDaemon(true);
    reaper = t;
    t.start();
  }

  /**
   * The reaper: polls while requests are in flight and no thread is in {@link #join} (spin, yield, park up to
   * 50 us), sleeps otherwise (at most 1 ms, so that a request submitted without waking it is still seen).
   */
  private void reapLoop() {
    int idle = 0;
    int sleeps = 0;
    while (!closed) {
      if (inFlight.get() == 0 || joining.get() > 0) {
        if ((++sleeps & 1023) == 0) checkNode();
        LockSupport.parkNanos(1_000_000);
        idle = 0;
        continue;
      }
      if (reap() > 0) {
        idle = 0;
        continue;
      }
      idle++;
      if (idle < 100) Thread.onSpinWait();
      else if (idle < 110) Thread.yield();
      else LockSupport.parkNanos(Math.min(50_000, 1_000L << Math.min(idle - 110, 6)));
      if ((idle & 1023) == 0) checkNode();
    }
  }

  /** Fails every request in flight when the node detached the channel or stopped stamping its heartbeat. */
  private void checkNode() {
    int state = (int) INT.getAcquire(map, NODE_STATE_AT);
    long beat = (long) LONG.getAcquire(map, NODE_HEARTBEAT_AT);
    String why = state == NODE_DETACHED ? "the node detached the channel"
        : System.currentTimeMillis() - beat > STALE_NODE_MS ? "the node stopped answering (no heartbeat for "
            + STALE_NODE_MS + " ms)" : null;
    if (why == null) return;
    broken = new ChannelException(Status.UNAVAILABLE, why, null);
    reaping.lock();
    try {
      for (int k = 0; k < slots; k++) {
        Pending<?> p = pending[k];
        if (p == null) continue;
        pending[k] = null;
        p.fail(broken);
        inFlight.decrementAndGet();
      }
    } finally {
      reaping.unlock();
    }
  }

  /**
   * Tells the node the channel is closing ({@code client_state} 2: it detaches and releases what the
   * channel registered) and removes the file. Requests still in flight fail.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    INT.setRelease(map, CLIENT_STATE_AT, CLIENT_CLOSING);
    Thread r = reaper;
    if (r != null) LockSupport.unpark(r);
    for (int k = 0; k < slots; k++) {
      Pending<?> p = pending[k];
      if (p != null) p.fail(new ChannelException(Status.UNAVAILABLE, "the local channel closed", null));
    }
    Staging s;
    synchronized (this) {
      s = staging;
    }
    if (s != null) s.close();
    removeFile();
  }

  private void removeFile() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // The file is gone with the process at the latest; nothing else holds on to it.
    }
  }
}
