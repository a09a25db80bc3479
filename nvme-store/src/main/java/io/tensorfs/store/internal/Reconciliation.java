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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store in line with the metadata after a scan: asks the oracle about each file version
 * found (a bounded number at once), removes orphans, reports the chunks a live version lacks here,
 * and keeps what the oracle cannot judge. Runs on stages only; nothing here blocks.
 */
public final class Reconciliation {
  private static final Logger log = LoggerFactory.getLogger(Reconciliation.class);
  private static final Comparator<ChunkId> CHUNK_ORDER =
      Comparator.comparing((ChunkId c) -> c.fileId().value()).thenComparingInt(ChunkId::index);

  private final ChunkStore store;
  private final ReadLeases leases;
  private final MetadataOracle oracle;

  public Reconciliation(ChunkStore store, ReadLeases leases, MetadataOracle oracle) {
    this.store = store;
    this.leases = leases;
    this.oracle = oracle;
  }

  /** Scans the store and judges every file version found, {@code parallelism} at a time. */
  public CompletionStage<ReconcileReport> run(int parallelism, ClassicActorSystemProvider system) {
    return store.scan().thenCompose(found -> Source.from(new ArrayList<>(found.values()))
        .mapAsyncUnordered(parallelism, this::judge)
        .runFold(Outcome.NONE, Outcome::plus, system)
        .thenApply(Outcome::report));
  }

  private CompletionStage<Outcome> judge(StoredFile file) {
    return verdictOf(file).thenCompose(verdict -> {
      if (verdict instanceof Orphan) return removeOrphan(file);
      if (verdict instanceof Live live) return reportMissing(file, live);
      return CompletableFuture.completedFuture(Outcome.KEPT);
    });
  }

  /** The oracle's verdict; any failure to get one means the bytes are kept. */
  private CompletionStage<Verdict> verdictOf(StoredFile file) {
    CompletionStage<Verdict> asked;
    try {
      asked = oracle.check(file.file(), file.owner(), store.id());
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    return asked.handle((verdict, failure) -> {
      if (failure != null) {
        log.warn("store {}: cannot judge file version {} of {}; kept: {}", store.id(), file.file(), file.owner(),
            failure.toString());
        return new Unknown(failure.toString());
      }
      return verdict == null ? new Unknown("no verdict") : verdict;
    });
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
    return CompletableFuture.allOf(reports).thenApply(ignored -> new Outcome(1, 0, missing));
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
  private record Outcome(int kept, int removed, List<ChunkId> missing) {
    static final Outcome NONE = new Outcome(0, 0, List.of());
    static final Outcome KEPT = new Outcome(1, 0, List.of());
    static final Outcome REMOVED = new Outcome(0, 1, List.of());

    Outcome plus(Outcome other) {
      List<ChunkId> all = missing;
      if (!other.missing.isEmpty()) {
        all = new ArrayList<>(missing);
        all.addAll(other.missing);
      }
      return new Outcome(kept + other.kept, removed + other.removed, all);
    }

    ReconcileReport report() {
      List<ChunkId> sorted = new ArrayList<>(missing);
      sorted.sort(CHUNK_ORDER);
      return new ReconcileReport(kept, removed, List.copyOf(sorted));
    }
  }
}
