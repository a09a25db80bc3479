package io.tensorfs.store.scrub;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.store.ChunkStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background scrubber of a node: pass after pass, it reads every replica on the node's stores, one
 * store after the other and one segment at a time, and verifies each block against its CRC32C (and the
 * checksum table against its own), so that a flipped bit is found even in bytes nobody reads. It reads at
 * most {@code bytes-per-second} (a segment starts only when the bytes before it are paid for, with at
 * most a second's credit saved up), so serving reads keep the disks. A corrupt replica is reported by the
 * store that finds it to its {@link io.tensorfs.store.CorruptReplica.Listener}, which marks it and has it
 * re-created; the scrubber counts it and goes on.
 *
 * <p>Runs on the given timer (only to schedule the next step) and on the stores' I/O threads (the reads); a
 * pass is one chain of steps, never two at once. Thread-safe.
 */
public final class Scrubber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Scrubber.class);
  private static final long MAX_CREDIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final List<ChunkStore> stores;
  private final ScrubSettings settings;
  private final ScheduledExecutorService timer;
  private final Map<String, ScrubMetrics> metrics = new LinkedHashMap<>();
  private volatile boolean closed;
  // Guarded by this.
  private boolean running;
  private ScheduledFuture<?> scheduled;

  /** @param stores this node's stores, scrubbed in this order; @param timer schedules the steps (not owned) */
  public Scrubber(List<ChunkStore> stores, ScrubSettings settings, ScheduledExecutorService timer) {
    this.stores = List.copyOf(stores);
    this.settings = settings;
    this.timer = timer;
    for (ChunkStore s : this.stores) metrics.put(s.id(), new ScrubMetrics(s.id()));
  }

  /** Starts the passes: the first after {@code initial-delay}, each next {@code interval} after one ends. */
  public synchronized Scrubber start() {
    if (!settings.enabled()) {
      log.info("scrubber off (tensorfs.store.scrub.enabled = off)");
      return this;
    }
    log.info("scrubber: {} bytes/s over stores {}, a pass every {} after the last, the first in {}",
        settings.bytesPerSecond(), metrics.keySet(), settings.interval(), settings.initialDelay());
    scheduleNext(settings.initialDelay().toNanos());
    return this;
  }

  private synchronized void scheduleNext(long delayNanos) {
    if (closed) return;
    try {
      scheduled = timer.schedule(this::scheduledPass, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      // the node is stopping
    }
  }

  private void scheduledPass() {
    pass().whenComplete((report, e) -> {
      if (e != null) {
        log.warn("scrub pass failed: {}", Failures.unwrap(e).toString());
      } else if (!report.corrupt().isEmpty() || report.failed() > 0) {
        log.warn("scrub pass: {} replicas, {} blocks verified; corrupt: {}; {} could not be read", report.replicas(),
            report.blocks(), report.corrupt(), report.failed());
      } else {
        log.info("scrub pass: {} replicas, {} blocks, {} bytes verified, none corrupt", report.replicas(),
            report.blocks(), report.bytes());
      }
      scheduleNext(settings.interval().toNanos());
    });
  }

  /** Runs one pass now; UNAVAILABLE while another runs. Completes when every replica was read. */
  public CompletionStage<ScrubReport> pass() {
    synchronized (this) {
      if (running) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, "a scrub pass is running"));
      }
      running = true;
    }
    return new Pass().run().whenComplete((r, e) -> {
      synchronized (this) {
        running = false;
      }
    });
  }

  /** No step starts after this; a pass in progress ends after its current read. The timer is the caller's. */
  @Override
  public synchronized void close() {
    closed = true;
    if (scheduled != null) scheduled.cancel(false);
  }

  /** One pass: its figures and its place; each step runs after the one before has ended. */
  private final class Pass {
    private final CompletableFuture<ScrubReport> done = new CompletableFuture<>();
    private final List<String> corrupt = new ArrayList<>();
    private long replicas;
    private long blocks;
    private long bytes;
    private int failed;
    private long nextAtNanos = System.nanoTime();

    CompletionStage<ScrubReport> run() {
      store(0);
      return done;
    }

    private void store(int s) {
      if (closed || s >= stores.size()) {
        done.complete(new ScrubReport(replicas, blocks, bytes, corrupt, failed));
        return;
      }
      ChunkStore store = stores.get(s);
      store.scan().whenComplete((files, e) -> {
        if (e != null) {
          log.warn("scrub: cannot list store {}: {}", store.id(), Failures.unwrap(e).toString());
          failed++;
          later(0, () -> store(s + 1));
          return;
        }
        List<ChunkId> chunks = new ArrayList<>();
        for (ChunkStore.StoredFile f : files.values()) {
          for (int index : f.chunks()) chunks.add(new ChunkId(f.file(), index));
        }
        chunks.sort(Comparator.comparing(ChunkId::toString));
        later(0, () -> chunk(s, chunks, 0));
      });
    }

    private void chunk(int s, List<ChunkId> chunks, int c) {
      if (c >= chunks.size()) {
        metrics.get(stores.get(s).id()).passes.increment();
        store(s + 1);
        return;
      }
      segment(s, chunks, c, 0);
    }

    private void segment(int s, List<ChunkId> chunks, int c, long offset) {
      if (closed) {
        done.complete(new ScrubReport(replicas, blocks, bytes, corrupt, failed));
        return;
      }
      ChunkStore store = stores.get(s);
      ChunkId chunk = chunks.get(c);
      int block = Math.max(1, store.blockBytes());
      int want = Math.max(block, settings.segmentBytes() / block * block);
      store.verify(chunk, offset, want).whenComplete((count, e) -> {
        if (e != null) {
          failedOn(store, chunk, Failures.unwrap(e));
          later(0, () -> chunk(s, chunks, c + 1));
          return;
        }
        ScrubMetrics m = metrics.get(store.id());
        long blocksRead = (count + block - 1) / block;
        blocks += blocksRead;
        bytes += count;
        m.blocks.increment(blocksRead);
        m.bytes.increment(count);
        long delay = pace(count);
        if (count < want) {
          replicas++;
          later(delay, () -> chunk(s, chunks, c + 1));
        } else {
          later(delay, () -> segment(s, chunks, c, offset + count));
        }
      });
    }

    private void failedOn(ChunkStore store, ChunkId chunk, Throwable cause) {
      ErrorCode code = TfsException.codeOf(cause);
      if (code == ErrorCode.CHECKSUM_MISMATCH) {
        corrupt.add(ScrubReport.name(store.id(), chunk));
        metrics.get(store.id()).corrupt.increment();
        log.warn("scrub: replica of {} on store {} is corrupt: {}", chunk, store.id(), cause.getMessage());
      } else if (code != ErrorCode.NOT_FOUND) { // NOT_FOUND: collected since the listing
        failed++;
        log.warn("scrub: cannot read replica of {} on store {}: {}", chunk, store.id(), cause.toString());
      }
    }

    /** Pays for {@code count} bytes read; returns how long to wait before the next read. */
    private long pace(long count) {
      long now = System.nanoTime();
      long cost = (long) (count * 1e9 / settings.bytesPerSecond());
      nextAtNanos = Math.max(nextAtNanos, now - MAX_CREDIT_NANOS) + cost;
      return Math.max(0, nextAtNanos - now);
    }

    private void later(long delayNanos, Runnable step) {
      try {
        timer.schedule(step, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException shutDown) {
        done.complete(new ScrubReport(replicas, blocks, bytes, corrupt, failed));
      }
    }
  }
}
