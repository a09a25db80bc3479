package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.gateway.grpc.internal.BatchIo;
import io.tensorfs.gateway.grpc.internal.Errors;
import io.tensorfs.gateway.grpc.internal.KvMemory;
import io.tensorfs.gateway.grpc.internal.Memory;
import io.tensorfs.gateway.grpc.internal.PageScatter;
import io.tensorfs.gateway.grpc.internal.SharedMemorySegments;
import io.tensorfs.gateway.grpc.v1.CudaIpc;
import io.tensorfs.gateway.grpc.v1.Flag;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.SharedMemory;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvHeld;
import io.tensorfs.sharding.operator.NodeOperator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the decoded requests of the channels: reads and writes through the operator (reads through
 * {@link NodeOperator#statForRead}), KV ops through {@link KvBlocks#hold}, {@link KvBlocks#reserve},
 * {@link KvBlocks#exists} and {@link KvBlocks#removeAll}, and buffer registration. Called on the agent
 * thread; a request whose version is known and whose bytes are resident and small completes before
 * {@link #run} returns (copied on the agent thread, no executor hop), others complete on the node's
 * executors. Every request passes {@link Access} with the channel's caller first. Thread-safe.
 */
public final class LocalOps implements RequestRunner {
  /** Runs a continuation on the thread that completes its stage: the agent thread for resident bytes. */
  private static final Executor ON_THE_SPOT = Stages.ON_THE_SPOT;
  private static final int PIECES_IN_FLIGHT = 16;
  private static final int RESULT_OK = 0;

  private final NodeOperator files;
  private final KvBlocks kv;
  private final DeviceCopies gpus;
  private final BatchIo batch;
  private final SharedMemorySegments segments;
  private final Executor segmentExecutor;
  private final Executor async;
  private final long inlineMaxBytes;

  public LocalOps(NodeOperator files, DeviceCopies gpus, BatchIo batch, SharedMemorySegments segments,
      Executor segmentExecutor, Executor async, long inlineMaxBytes) {
    this.files = files;
    this.kv = files.kv();
    this.gpus = gpus;
    this.batch = batch;
    this.segments = segments;
    this.segmentExecutor = segmentExecutor;
    this.async = async;
    this.inlineMaxBytes = inlineMaxBytes;
  }

  /** Starts {@code r} from slot {@code slot} of {@code ch}; the stage never fails (a failure is an Outcome). */
  @Override
  public CompletionStage<Outcome> run(Channel ch, int slot, SlotRequest r) {
    CompletionStage<Outcome> out;
    try {
      if (r instanceof SlotRequest.Io io) {
        out = io.write() ? write(ch, slot, io) : read(ch, slot, io);
      } else if (r instanceof SlotRequest.Kv k) {
        out = kvOp(ch, slot, k);
      } else if (r instanceof SlotRequest.RegisterHost h) {
        out = registerHost(ch, h);
      } else if (r instanceof SlotRequest.RegisterGpu g) {
        out = registerGpu(ch, g);
      } else if (r instanceof SlotRequest.Unregister u) {
        if (!ch.unregister(u.bufferId())) throw bad("no buffer " + Integer.toUnsignedString(u.bufferId()) + " on this channel");
        out = done(Outcome.ok(0));
      } else {
        out = done(Outcome.ok(0)); // NOP; DETACH is the agent's
      }
    } catch (RuntimeException e) {
      return done(Outcome.failed(e));
    }
    return out.exceptionally(Outcome::failed);
  }

  private CompletionStage<Outcome> read(Channel ch, int slot, SlotRequest.Io r) {
    checkFlags(r.flags());
    TfsPath path = allowed(ch, r.path(), Operation.READ);
    List<Memory> targets = new ArrayList<>(r.sges().size());
    long total = 0;
    boolean hostOnly = true;
    for (SlotRequest.SgeRef s : r.sges()) {
      Memory m = memory(ch, slot, s);
      hostOnly &= m instanceof Memory.Host;
      total += m.length();
      if (total < 0) throw bad("the elements add up to more than 2^63 bytes");
      targets.add(m);
    }
    long requested = total;
    boolean small = hostOnly && requested <= inlineMaxBytes;
    // With the version known and the pages resident, each stage below is complete when it is returned,
    // so the whole read runs here, on the agent thread.
    return files.statForRead(path).thenCompose(v -> {
      if (r.offset() >= v.size() || requested == 0) return CompletableFuture.completedFuture(0L);
      long length = Math.min(requested, v.size() - r.offset());
      return files.openRead(v, r.offset(), length).thenCompose(read -> {
        PageScatter scatter = new PageScatter(targets, gpus, PIECES_IN_FLIGHT);
        return small && read.hit() ? scatter.runInPlace(read) : scatter.run(read, batch.materializer());
      });
    }).thenApply(Outcome::ok);
  }

  /** A write is a pwritev of the elements, named as the batch API names them, run by {@link BatchIo}. */
  private CompletionStage<Outcome> write(Channel ch, int slot, SlotRequest.Io r) {
    checkFlags(r.flags());
    allowed(ch, r.path(), Operation.WRITE);
    Submission.Builder s = Submission.newBuilder().setOp(Op.PWRITEV).setPath(r.path()).setOffset(r.offset())
        .setFlags(r.flags()).setPolicy(r.policy());
    for (SlotRequest.SgeRef sge : r.sges()) s.addSges(asSge(ch, slot, sge));
    return batch.run(s.build()).thenApply(c -> new Outcome(c.getStatusValue(), c.getValue(), c.getMessage()));
  }

  private CompletionStage<Outcome> kvOp(Channel ch, int slot, SlotRequest.Kv r) {
    Operation op = switch (r.op()) {
      case OP_KV_PUT -> Operation.WRITE;
      case OP_KV_REMOVE -> Operation.DELETE;
      default -> Operation.READ;
    };
    for (String key : r.keys()) allowed(ch, "/" + r.tenant() + "/" + key, op);
    Results results = new Results(ch, slot, r.resultsOff());
    return switch (r.op()) {
      case OP_KV_GET -> kvGet(ch, slot, r, results);
      case OP_KV_PUT -> kvPut(ch, slot, r, results);
      case OP_KV_EXISTS -> kv.exists(r.tenant(), r.keys()).thenApply(p -> {
        for (int i = 0; i < r.keys().size(); i++) results.put(i, p.present().get(i) ? RESULT_OK : status(ErrorCode.NOT_FOUND), 0);
        return Outcome.ok(p.prefix());
      });
      default -> kv.removeAll(r.tenant(), r.keys()).thenApply(removed -> {
        long n = 0;
        for (int i = 0; i < removed.size(); i++) {
          results.put(i, removed.get(i) ? RESULT_OK : status(ErrorCode.NOT_FOUND), 0);
          if (removed.get(i)) n++;
        }
        return Outcome.ok(n);
      });
    };
  }

  private CompletionStage<Outcome> kvGet(Channel ch, int slot, SlotRequest.Kv r, Results results) {
    List<Memory> targets = memories(ch, slot, r.sges());
    boolean small = hostOnly(targets) && totalOf(targets) <= inlineMaxBytes;
    return kv.hold(r.tenant(), r.keys()).thenComposeAsync(held -> {
      AtomicLong found = new AtomicLong();
      List<CompletableFuture<?>> copies = new ArrayList<>();
      for (int i = 0; i < held.size(); i++) copies.add(place(held.get(i), targets.get(i), results, i, found));
      return CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new)).thenApply(x -> Outcome.ok(found.get()));
    }, small ? ON_THE_SPOT : async);
  }

  /** Copies one held block into its target and closes the hold, whatever happens; writes the key's result. */
  private CompletableFuture<?> place(Optional<KvHeld> maybe, Memory target, Results results, int i, AtomicLong found) {
    if (maybe.isEmpty()) {
      results.put(i, status(ErrorCode.NOT_FOUND), 0);
      return CompletableFuture.completedFuture(null);
    }
    KvHeld held = maybe.get();
    long length = held.length();
    if (length > target.length()) {
      held.close();
      results.put(i, status(ErrorCode.TOO_LARGE), length);
      return CompletableFuture.completedFuture(null);
    }
    return KvMemory.deliver(held, target, gpus).handle((x, e) -> {
      if (e == null) {
        results.put(i, RESULT_OK, length);
        found.incrementAndGet();
      } else {
        results.put(i, status(Errors.of(e).code()), length);
      }
      return null;
    });
  }

  private CompletionStage<Outcome> kvPut(Channel ch, int slot, SlotRequest.Kv r, Results results) {
    List<Memory> sources = memories(ch, slot, r.sges());
    boolean small = hostOnly(sources) && totalOf(sources) <= inlineMaxBytes;
    return CompletableFuture.supplyAsync(() -> {
      AtomicLong stored = new AtomicLong();
      List<CompletableFuture<?>> puts = new ArrayList<>();
      for (int i = 0; i < sources.size(); i++) puts.add(putOne(r.tenant(), r.keys().get(i), sources.get(i), results, i, stored));
      return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).thenApply(x -> Outcome.ok(stored.get()));
    }, small ? ON_THE_SPOT : async).thenCompose(x -> x);
  }

  /** Reserves room for one block, fills it from the source, and commits it (or gives it back on a failure). */
  private CompletableFuture<?> putOne(String tenant, String key, Memory source, Results results, int i, AtomicLong stored) {
    return KvMemory.put(kv, gpus, tenant, key, source).handle((done, e) -> {
      if (e == null) {
        results.put(i, RESULT_OK, source.length());
        stored.incrementAndGet();
      } else {
        results.put(i, status(Errors.of(e).code()), 0);
      }
      return null;
    });
  }

  private CompletionStage<Outcome> registerHost(Channel ch, SlotRequest.RegisterHost r) {
    segments.checkName(r.segment());
    if (r.sizeBytes() <= 0) throw bad("a registered buffer has a size of at least 1 byte");
    return CompletableFuture.supplyAsync(() -> {
      List<ByteBuffer> windows = segments.slices(r.segment(), 0, r.sizeBytes());
      return Outcome.ok(ch.register(new Registered.Host(r.segment(), windows, r.sizeBytes())));
    }, segmentExecutor);
  }

  private CompletionStage<Outcome> registerGpu(Channel ch, SlotRequest.RegisterGpu r) {
    if (!gpus.available()) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "this node has no usable GPU: " + gpus.describe());
    }
    if (r.device() < 0) throw bad("GPU device " + r.device());
    if (r.sizeBytes() <= 0) throw bad("a registered buffer has a size of at least 1 byte");
    return done(Outcome.ok(ch.register(new Registered.Gpu(new GpuBuffer(r.ipcHandle(), r.device(), 0, r.sizeBytes())))));
  }

  /** Where an element's bytes are: the slot itself, or a range of a registered buffer (checked against it). */
  Memory memory(Channel ch, int slot, SlotRequest.SgeRef s) {
    if (s.inline()) {
      int at = ch.ring().slotAt(slot) + (int) s.offset();
      return new Memory.Host(ch.shmName(), List.of(ch.mapped().slice(at, (int) s.length())), s.length());
    }
    Registered buffer = registered(ch, s);
    if (buffer instanceof Registered.Host h) {
      return new Memory.Host(h.segment(), slices(h.windows(), s.offset(), s.length()), s.length());
    }
    return new Memory.Gpu(((Registered.Gpu) buffer).buffer().slice(s.offset(), s.length()));
  }

  private Registered registered(Channel ch, SlotRequest.SgeRef s) {
    Registered buffer = ch.buffer(s.bufferId());
    if (buffer == null) throw bad("no buffer " + Integer.toUnsignedString(s.bufferId()) + " on this channel");
    if (s.offset() > buffer.sizeBytes() || s.length() > buffer.sizeBytes() - s.offset()) {
      throw bad("buffer " + s.bufferId() + " holds " + buffer.sizeBytes() + " bytes; " + s.offset() + "+" + s.length()
          + " is outside it");
    }
    return buffer;
  }

  /** The element as the batch API's SGE, for {@link BatchIo}: a range of a named segment or of a GPU allocation. */
  private Sge asSge(Channel ch, int slot, SlotRequest.SgeRef s) {
    if (s.inline()) return host(ch.shmName(), ch.ring().slotAt(slot) + s.offset(), s.length());
    Registered buffer = registered(ch, s);
    if (buffer instanceof Registered.Host h) return host(h.segment(), s.offset(), s.length());
    GpuBuffer g = ((Registered.Gpu) buffer).buffer();
    return Sge.newBuilder()
        .setGpu(CudaIpc.newBuilder().setHandle(com.google.protobuf.ByteString.copyFrom(g.ipcHandle())).setDevice(g.device()))
        .setOffset(g.offset() + s.offset()).setLength(s.length()).build();
  }

  private static Sge host(String segment, long offset, long length) {
    return Sge.newBuilder().setHost(SharedMemory.newBuilder().setName(segment)).setOffset(offset).setLength(length).build();
  }

  private List<Memory> memories(Channel ch, int slot, List<SlotRequest.SgeRef> sges) {
    List<Memory> out = new ArrayList<>(sges.size());
    for (SlotRequest.SgeRef s : sges) out.add(memory(ch, slot, s));
    return out;
  }

  private static boolean hostOnly(List<Memory> memory) {
    for (Memory m : memory) if (!(m instanceof Memory.Host)) return false;
    return true;
  }

  private static long totalOf(List<Memory> memory) {
    long total = 0;
    for (Memory m : memory) total += m.length();
    return total;
  }

  /** The range {@code [offset, offset+length)} of a mapping cut into windows, as fresh slices (their positions are cursors). */
  static List<ByteBuffer> slices(List<ByteBuffer> windows, long offset, long length) {
    List<ByteBuffer> out = new ArrayList<>(1);
    long start = 0;
    for (ByteBuffer w : windows) {
      long end = start + w.capacity();
      long from = Math.max(offset, start);
      long to = Math.min(offset + length, end);
      if (from < to) out.add(w.slice((int) (from - start), (int) (to - from)));
      start = end;
    }
    return out;
  }

  private static TfsPath allowed(Channel ch, String text, Operation op) {
    TfsPath path = TfsPath.parse(text);
    Access.check(ch.caller(), op, path);
    return path;
  }

  private static void checkFlags(int flags) {
    if ((flags & ~Flag.FLAG_KVCACHE_VALUE) != 0) {
      throw bad("unknown flag bits 0x" + Integer.toHexString(flags & ~Flag.FLAG_KVCACHE_VALUE) + " (the channel takes FLAG_KVCACHE)");
    }
  }

  private static int status(ErrorCode code) {
    return Errors.wire(code).getNumber();
  }

  private static CompletionStage<Outcome> done(Outcome o) {
    return CompletableFuture.completedFuture(o);
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }

  /** The per-key result area of a KV request's slot. */
  private record Results(Channel ch, int slot, int resultsOff) {
    void put(int i, int status, long length) {
      int at = ch.ring().slotAt(slot) + resultsOff + RESULT_BYTES * i;
      ch.ring().buffer().putInt(at, status);
      ch.ring().buffer().putInt(at + 4, 0);
      ch.ring().buffer().putLong(at + 8, length);
    }
  }
}
