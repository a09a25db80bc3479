package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.gateway.grpc.DirectGpuReads;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Flag;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.transport.StreamEnds;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Runs the submissions of Batch streams: preadv scatters a file's bytes into host and GPU memory,
 * pwritev gathers them into a new version of a file. Each submission ends in exactly one
 * {@link Completion}; its stage never fails. Thread-safe; holds no per-submission state.
 */
public final class BatchIo {
  private static final int KNOWN_FLAGS = Flag.FLAG_KVCACHE_VALUE | Flag.FLAG_CUFILE_VALUE;
  /** cuFile pieces of one read in flight at once: enough to keep the node's cuFile threads busy. */
  private static final int CUFILE_PIECES_IN_FLIGHT = 8;
  /** Chunks of one read whose copies may run at once: the device copies of one overlap the next's fetch. */
  private static final int PIECES_IN_FLIGHT = 16;

  private final ActorSystem<?> system;
  private final Materializer materializer;
  private final NodeOperator files;
  private final DeviceCopies gpus;
  private final DirectGpuReads direct;
  private final SharedMemorySegments segments;
  private final Executor segmentExecutor;
  private final StagingBuffers staging;
  private final int chunkSizeBytes;
  private final long maxFileBytes;

  public BatchIo(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus, SharedMemorySegments segments,
      Executor segmentExecutor, StagingBuffers staging, int chunkSizeBytes, long maxFileBytes) {
    this(system, files, gpus, DirectGpuReads.none("the node was started without cuFile reads"), segments,
        segmentExecutor, staging, chunkSizeBytes, maxFileBytes);
  }

  /** @param direct what preadv with FLAG_CUFILE reads through; its blocking look-ups run on {@code segmentExecutor} */
  public BatchIo(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus, DirectGpuReads direct,
      SharedMemorySegments segments, Executor segmentExecutor, StagingBuffers staging, int chunkSizeBytes,
      long maxFileBytes) {
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.files = files;
    this.gpus = gpus;
    this.direct = direct;
    this.segments = segments;
    this.segmentExecutor = segmentExecutor;
    this.staging = staging;
    this.chunkSizeBytes = chunkSizeBytes;
    this.maxFileBytes = maxFileBytes;
  }

  public CompletionStage<Completion> run(Submission s) {
    CompletionStage<Long> moved;
    try {
      moved = switch (s.getOp()) {
        case PREADV -> preadv(s);
        case PWRITEV -> pwritev(s);
        default -> throw bad("unknown op " + s.getOpValue());
      };
    } catch (RuntimeException e) {
      moved = CompletableFuture.failedFuture(e);
    }
    return moved.handle((n, e) -> e == null
        ? Completion.newBuilder().setId(s.getId()).setValue(n).build()
        : Errors.completion(s.getId(), e));
  }

  private CompletionStage<Long> preadv(Submission s) {
    TfsPath path = TfsPath.parse(s.getPath());
    checkFlags(s.getFlags());
    long offset = notNegative(s.getOffset(), "offset");
    if ((s.getFlags() & Flag.FLAG_CUFILE_VALUE) != 0) return cufileRead(s, path, offset);
    return resolve(s.getSgesList()).thenCompose(targets -> files.statForRead(path).thenCompose(v -> {
      long requested = total(targets);
      if (offset >= v.size() || requested == 0) return CompletableFuture.completedFuture(0L);
      long length = Math.min(requested, v.size() - offset);
      return files.openRead(v, offset, length)
          .thenCompose(read -> new PageScatter(targets, gpus, PIECES_IN_FLIGHT).run(read, materializer));
    }));
  }

  /**
   * preadv with FLAG_CUFILE: GPU elements only, each chunk read from a replica file on this node's disks
   * straight into them with cuFile, past the cache and without the block CRC check (see {@link CufileScatter}).
   */
  private CompletionStage<Long> cufileRead(Submission s, TfsPath path, long offset) {
    for (int i = 0; i < s.getSgesCount(); i++) {
      if (s.getSges(i).getMemoryCase() != Sge.MemoryCase.GPU) {
        throw bad("FLAG_CUFILE reads only into GPU memory, and element " + i + " is not GPU memory");
      }
    }
    if (!direct.available()) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "FLAG_CUFILE: cuFile reads are unavailable on this node: "
          + direct.describe());
    }
    return resolve(s.getSgesList()).thenCompose(targets -> files.statForRead(path).thenCompose(v -> {
      long requested = total(targets);
      if (offset >= v.size() || requested == 0) return CompletableFuture.completedFuture(0L);
      long length = Math.min(requested, v.size() - offset);
      List<GpuBuffer> gpu = targets.stream().map(m -> ((Memory.Gpu) m).buffer()).toList();
      List<CufileScatter.Piece> pieces = CufileScatter.plan(offset, length, v.chunkSizeBytes(), gpu);
      // The read holds the version's lease, so an overwrite or delete does not remove the replica files under it.
      return files.openRead(v, offset, length).thenCompose(read -> new CufileScatter(direct, files, segmentExecutor,
              CUFILE_PIECES_IN_FLIGHT).run(v, pieces)
          .whenComplete((n, e) -> read.close()));
    }));
  }

  private CompletionStage<Long> pwritev(Submission s) {
    TfsPath path = TfsPath.parse(s.getPath());
    checkFlags(s.getFlags());
    if ((s.getFlags() & Flag.FLAG_CUFILE_VALUE) != 0) throw bad("FLAG_CUFILE is for preadv only");
    if (s.getOffset() != 0) {
      throw bad("pwritev writes a whole new version of a file: offset must be 0, not "
          + Long.toUnsignedString(s.getOffset()));
    }
    Policy policy = !s.getPolicy().isEmpty() ? Policy.parse(s.getPolicy())
        : (s.getFlags() & Flag.FLAG_KVCACHE_VALUE) != 0 ? Policy.KVCACHE : Policy.PERSISTENT;
    return resolve(s.getSgesList()).thenCompose(sources -> {
      long total = total(sources);
      Staging stage = new Staging(staging);
      return files.put(path, policy, chunkSizeBytes, Precondition.NONE, OptionalLong.of(total), maxFileBytes,
              Gather.source(sources, gpus, stage, staging.bufferBytes()))
          .thenApply(v -> v.size())
          .whenComplete((n, e) -> stage.release());
    });
  }

  /**
   * The bytes of host and GPU elements in order, as pwritev takes them (GPU bytes staged through a pool
   * page, one copy at a time): for other writers of client memory, such as a checkpoint's save.
   */
  CompletionStage<Source<ByteString, NotUsed>> gather(List<Sge> sges) {
    return resolve(sges).thenApply(sources -> {
      Staging stage = new Staging(staging);
      return StreamEnds.whenEnded(Gather.source(sources, gpus, stage, staging.bufferBytes()), stage::release);
    });
  }

  /**
   * Scatters the bytes {@code [offset, offset + length)} of a sequence of sealed versions, read one
   * after the other as if they were one file (a checkpoint item's parts), into host and GPU elements,
   * as preadv does. Completes with the bytes moved.
   */
  CompletionStage<Long> scatter(List<io.tensorfs.sharding.FileVersion> parts, long offset, List<Sge> sges) {
    return resolve(sges).thenCompose(targets -> {
      PageScatter scatter = new PageScatter(targets, gpus, PIECES_IN_FLIGHT);
      long end = offset + total(targets);
      CompletionStage<Long> moved = CompletableFuture.completedFuture(0L);
      long start = 0;
      for (io.tensorfs.sharding.FileVersion v : parts) {
        long from = Math.max(offset, start);
        long to = Math.min(end, start + v.size());
        if (from < to) {
          long first = from - start;
          moved = moved.thenCompose(n -> files.openRead(v, first, to - from).thenCompose(read -> scatter.run(read, materializer))
              .thenApply(m -> n + m));
        }
        start += v.size();
      }
      return moved;
    });
  }

  /** What runs the reads' streams (the node's). */
  public Materializer materializer() {
    return materializer;
  }

  /** The node's copies to and from clients' GPU memory. */
  DeviceCopies gpus() {
    return gpus;
  }

  /** Checks every element and maps host segments (blocking calls, on the segment dispatcher). */
  CompletionStage<List<Memory>> resolve(List<Sge> sges) {
    List<Sge> own = List.copyOf(sges);
    for (Sge sge : own) {
      if (sge.getMemoryCase() == Sge.MemoryCase.GPU && !gpus.available()) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE,
            "this submission names GPU memory but the node has no usable GPU: " + gpus.describe()));
      }
    }
    return CompletableFuture.supplyAsync(() -> {
      List<Memory> out = new ArrayList<>(own.size());
      long total = 0;
      for (Sge sge : own) {
        Memory m = memoryOf(sge);
        total += m.length();
        if (total < 0) throw bad("the elements add up to more than 2^63 bytes");
        out.add(m);
      }
      return out;
    }, segmentExecutor);
  }

  private Memory memoryOf(Sge sge) {
    long offset = notNegative(sge.getOffset(), "SGE offset");
    long length = notNegative(sge.getLength(), "SGE length");
    return switch (sge.getMemoryCase()) {
      case HOST -> new Memory.Host(sge.getHost().getName(),
          segments.slices(sge.getHost().getName(), offset, length), length);
      case GPU -> {
        byte[] handle = sge.getGpu().getHandle().toByteArray();
        if (handle.length != GpuBuffer.HANDLE_BYTES) {
          throw bad("a CUDA IPC handle is " + GpuBuffer.HANDLE_BYTES + " bytes, not " + handle.length);
        }
        if (sge.getGpu().getDevice() < 0) throw bad("GPU device " + sge.getGpu().getDevice());
        yield new Memory.Gpu(new GpuBuffer(handle, sge.getGpu().getDevice(), offset, length));
      }
      case MEMORY_NOT_SET -> throw bad("an SGE names neither GPU nor host memory");
    };
  }

  private static long total(List<Memory> memory) {
    long total = 0;
    for (Memory m : memory) total += m.length();
    return total;
  }

  private static void checkFlags(int flags) {
    if ((flags & ~KNOWN_FLAGS) != 0) throw bad("unknown flag bits 0x" + Integer.toHexString(flags & ~KNOWN_FLAGS));
  }

  private static long notNegative(long value, String what) {
    if (value < 0) throw bad(what + " " + Long.toUnsignedString(value) + " is too large");
    return value;
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
