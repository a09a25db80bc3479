package io.tensorfs.store.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkStore.StoredFile;
import io.tensorfs.store.MetadataOracle;
import io.tensorfs.store.MetadataOracle.Live;
import io.tensorfs.store.MetadataOracle.Orphan;
import io.tensorfs.store.MetadataOracle.Unknown;
import io.tensorfs.store.MetadataOracle.Verdict;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.ReconcileReport;
import io.tensorfs.store.ReconcileSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store in line with the metadata after a scan: asks the oracle about each file version found (a
 * bounded number at once), reports the chunks a live version lacks here, and removes only what it can prove
 * unwanted. While the metadata cannot answer, it asks again with a bounded backoff instead of giving up on the
 * version; a version the metadata disowns is removed only once its newest file is older than the orphan grace,
 * and younger ones come back as deferred, to be judged again ({@link #rejudge}) when the grace has passed.
 * Runs on stages only; nothing here blocks.
 */
public final class Reconciliation {
  private static final Logger log = LoggerFactory.getLogger(Reconciliation.class);
  private static final Comparator<ChunkId> CHUNK_ORDER =
      Comparator.comparing((ChunkId c) -> c.fileId().value()).thenComparingInt(ChunkId::index);

  private final ChunkStore store;
  private final ReadLeases leases;
  private final MetadataOracle oracle;
  private final ReconcileSettings settings;
  private final LongSupplier nowMillis;

  /**
   * @param nowMillis the wall clock, in ms since the epoch, that file modification times are compared with
   */
  public Reconciliation(ChunkStore store, ReadLeases leases, MetadataOracle oracle, ReconcileSettings settings,
      LongSupplier nowMillis) {
    this.store = store;
    this.leases = leases;
    this.oracle = oracle;
    this.settings = settings;
    this.nowMillis = nowMillis;
  }

  /**
   * What a run came to. Immutable.
   *
   * @param report   what was kept, removed and found missing (deferred versions count as kept)
   * @param deferred disowned versions kept because they are younger than the orphan grace
   */
  public record Result(ReconcileReport report, List<StoredFile> deferred) {}

  /** Scans the store and judges every file version found, {@code parallelism} at a time. */
  public CompletionStage<Result> run(int parallelism, ClassicActorSystemProvider system) {
    return store.scan().thenCompose(found -> judgeAll(found.values(), parallelism, system, true));
  }

  /**
   * Judges again versions an earlier run deferred: removes those the metadata still disowns and that are past
   * the grace now; reports nothing missing (they were not live).
   */
  public CompletionStage<Result> rejudge(Collection<StoredFile> deferred, int parallelism,
      ClassicActorSystemProvider system) {
    return judgeAll(deferred, parallelism, system, false);
  }

  private CompletionStage<Result> judgeAll(Collection<StoredFile> files, int parallelism,
      ClassicActorSystemProvider system, boolean reportMissing) {
    return Source.from(new ArrayList<>(files))
        .mapAsyncUnordered(parallelism, file -> judge(file, system, reportMissing))
        .runFold(Outcome.NONE, Outcome::plus, system)
        .thenApply(Outcome::result);
  }

  private CompletionStage<Outcome> judge(StoredFile file, ClassicActorSystemProvider system, boolean reportMissing) {
    long giveUpAtMillis = nowMillis.getAsLong() + settings.patience().toMillis();
    return verdictOf(file, system, 1, giveUpAtMillis).thenCompose(verdict -> {
      if (verdict instanceof Orphan) return disowned(file);
      if (verdict instanceof Live live && reportMissing) return reportMissing(file, live);
      return CompletableFuture.completedFuture(Outcome.KEPT);
    });
  }

  /**
   * The oracle's verdict. While it cannot tell (a failure, or {@link Unknown}), asks again after the backoff,
   * until {@code giveUpAtMillis}; then the version stays {@link Unknown}, and its bytes are kept.
   */
  private CompletionStage<Verdict> verdictOf(StoredFile file, ClassicActorSystemProvider system, int attempt,
      long giveUpAtMillis) {
    return askOnce(file).thenCompose(verdict -> {
      if (!(verdict instanceof Unknown unknown)) return CompletableFuture.completedFuture(verdict);
      Duration delay = settings.retryDelay(attempt);
      if (nowMillis.getAsLong() + delay.toMillis() > giveUpAtMillis) {
        log.warn("store {}: the metadata could not judge file version {} of {} in {} attempts ({}); its bytes are"
            + " kept until the next start", store.id(), file.file(), file.owner(), attempt, unknown.why());
        return CompletableFuture.completedFuture(verdict);
      }
      if (attempt == 1 || delay.equals(settings.retryMax())) {
        log.warn("store {}: the metadata cannot judge file version {} of {} yet ({}); kept, asking again in {} ms",
            store.id(), file.file(), file.owner(), unknown.why(), delay.toMillis());
      }
      ActorSystem classic = system.classicSystem();
      return Patterns.after(delay, classic.scheduler(), classic.dispatcher(),
          () -> verdictOf(file, system, attempt + 1, giveUpAtMillis));
    });
  }

  /** One ask; a failure to get an answer is an {@link Unknown}. */
  private CompletionStage<Verdict> askOnce(StoredFile file) {
    CompletionStage<Verdict> asked;
    try {
      asked = oracle.check(file.file(), file.owner(), store.id());
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    return asked.handle((verdict, failure) -> {
      if (failure != null) return new Unknown(failure.toString());
      return verdict == null ? new Unknown("no verdict") : verdict;
    });
  }

  /** A version the metadata disowns: removed once past the grace, else deferred. */
  private CompletionStage<Outcome> disowned(StoredFile file) {
    long ageMillis = nowMillis.getAsLong() - file.lastWrittenMillis();
    if (ageMillis < settings.orphanGrace().toMillis()) {
      log.info("store {}: file version {} of {} is unknown to the metadata or abandoned, but written {} s ago;"
          + " kept for the orphan grace of {} s", store.id(), file.file(), file.owner(), ageMillis / 1000,
          settings.orphanGrace().toSeconds());
      return CompletableFuture.completedFuture(Outcome.deferred(file));
    }
    return removeOrphan(file);
  }

  private CompletionStage<Outcome> removeOrphan(StoredFile file) {
    if (leases.held(file.file())) return CompletableFuture.completedFuture(Outcome.KEPT);
    return store.deleteFile(file.file()).handle((done, failure) -> {
      if (failure == null) return Outcome.REMOVED;
      log.warn("store {}: cannot remove orphan file version {}: {}", store.id(), file.file(), failure.toString());
      return Outcome.KEPT;
    });
  }

  private CompletionStage<Outcome> reportMissing(StoredFile file, Live live) {
    List<ChunkId> missing = live.chunksHere().stream()
        .filter(index -> !file.chunks().contains(index))
        .sorted()
        .map(index -> new ChunkId(file.file(), index))
        .toList();
    CompletableFuture<?>[] reports = missing.stream()
        .map(chunk -> report(chunk).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(reports).thenApply(ignored -> new Outcome(1, 0, missing, List.of()));
  }

  private CompletionStage<Void> report(ChunkId chunk) {
    CompletionStage<Void> sent;
    try {
      sent = oracle.reportMissing(chunk, store.id());
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((ok, failure) -> {
      if (failure != null) {
        log.warn("store {}: cannot report missing chunk {}: {}", store.id(), chunk, failure.toString());
      }
      return null;
    });
  }

  /** What the judging of some file versions came to. Immutable. */
  private record Outcome(int kept, int removed, List<ChunkId> missing, List<StoredFile> deferred) {
    static final Outcome NONE = new Outcome(0, 0, List.of(), List.of());
    static final Outcome KEPT = new Outcome(1, 0, List.of(), List.of());
    static final Outcome REMOVED = new Outcome(0, 1, List.of(), List.of());

    static Outcome deferred(StoredFile file) {
      return new Outcome(1, 0, List.of(), List.of(file));
    }

    Outcome plus(Outcome other) {
      return new Outcome(kept + other.kept, removed + other.removed, concat(missing, other.missing),
          concat(deferred, other.deferred));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
      if (b.isEmpty()) return a;
      if (a.isEmpty()) return b;
      List<T> all = new ArrayList<>(a);
      all.addAll(b);
      return all;
    }

    Result result() {
      List<ChunkId> sorted = new ArrayList<>(missing);
      sorted.sort(CHUNK_ORDER);
      return new Result(new ReconcileReport(kept, removed, List.copyOf(sorted)), List.copyOf(deferred));
    }
  }
}
