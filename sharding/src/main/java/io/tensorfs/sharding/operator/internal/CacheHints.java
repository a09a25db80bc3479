package io.tensorfs.sharding.operator.internal;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.operator.HintOp;
import io.tensorfs.sharding.operator.HintResult;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.store.cache.CacheActor;
import io.tensorfs.store.cache.CacheStats;
import io.tensorfs.store.cache.ChunkCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.japi.Pair;

/**
 * The distributed fadvise: cache hints on a file, or on every file under a directory, delivered to the
 * cache of each node that holds a replica. {@code willneed} warms each chunk on a node that has it on
 * disk and answers when every chunk is resident; {@code dontneed}, {@code pin} and {@code unpin} reach
 * every node's cache, since any node may hold pages of the file.
 */
public final class CacheHints {
  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final ChunkCache cache;
  private final Duration timeout;
  private final Duration findTimeout;

  /**
   * @param timeout     how long one node's cache may take over a hint
   * @param findTimeout how long looking up the nodes' caches in the Receptionist may take
   */
  public CacheHints(ActorSystem<?> system, NodeOperator files, ChunkCache cache, Duration timeout,
      Duration findTimeout) {
    this.system = system;
    this.files = files;
    this.cache = cache;
    this.timeout = timeout;
    this.findTimeout = findTimeout;
  }

  public CompletionStage<HintResult> apply(TfsPath path, HintOp op) {
    return filesUnder(path).thenCompose(versions -> switch (op) {
      case WILLNEED -> willneed(path, versions);
      case DONTNEED -> everywhere(path, op, versions, (ref, v) ->
          ask(ref, (ActorRef<Done> r) -> new CacheActor.Drop(v.fileId(), r)));
      case PIN, UNPIN -> everywhere(path, op, versions, (ref, v) ->
          ask(ref, (ActorRef<Done> r) -> new CacheActor.Pin(v.fileId(), op == HintOp.PIN, r)));
    });
  }

  /** Every node's cache figures. */
  public CompletionStage<List<CacheActor.Stats>> stats() {
    return caches(CacheActor.KEY).thenCompose(refs -> {
      List<CompletableFuture<CacheActor.Stats>> all = new ArrayList<>();
      for (ActorRef<CacheActor.Command> ref : refs) {
        all.add(ask(ref, (ActorRef<CacheActor.Stats> r) -> new CacheActor.GetStats(r)).toCompletableFuture());
      }
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
          .thenApply(x -> all.stream().map(f -> f.getNow(null)).toList());
    });
  }

  /** This node's cache figures, read directly. */
  public CacheStats localStats() {
    return cache.stats();
  }

  private CompletionStage<HintResult> willneed(TfsPath path, List<FileVersion> versions) {
    List<CompletableFuture<Pair<FileVersion, List<ChunkStatus>>>> stats = new ArrayList<>();
    for (FileVersion v : versions) stats.add(files.statWithChunks(v.path()).toCompletableFuture());
    return CompletableFuture.allOf(stats.toArray(CompletableFuture[]::new)).thenCompose(x -> {
      Map<String, List<CacheActor.WarmChunk>> byNode = new LinkedHashMap<>();
      int chunks = 0;
      long bytes = 0;
      int unplaced = 0;
      for (var f : stats) {
        FileVersion v = f.getNow(null).first();
        List<ChunkStatus> statuses = f.getNow(null).second();
        for (int i = 0; i < statuses.size(); i++) {
          chunks++;
          bytes += v.chunks().get(i).lengthBytes();
          List<ReplicaLocation> clean = statuses.get(i).clean();
          if (clean.isEmpty()) {
            unplaced++;
            continue;
          }
          String node = clean.get(0).node();
          List<String> stores = clean.stream().filter(r -> r.node().equals(node)).map(ReplicaLocation::store).toList();
          byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(new CacheActor.WarmChunk(
              new ChunkId(v.fileId(), i), v.chunks().get(i).lengthBytes(), v.path(), stores));
        }
      }
      List<CompletableFuture<CacheActor.Warmed>> warmed = new ArrayList<>();
      for (var e : byNode.entrySet()) {
        warmed.add(caches(CacheActor.keyFor(e.getKey())).thenCompose(refs -> {
          if (refs.isEmpty()) {
            return CompletableFuture.completedFuture(new CacheActor.Warmed(e.getKey(), 0, e.getValue().size(),
                "node " + e.getKey() + " has no cache registered (down?)"));
          }
          return ask(refs.iterator().next(),
              (ActorRef<CacheActor.Warmed> r) -> new CacheActor.Warm(e.getValue(), r));
        }).toCompletableFuture());
      }
      final int total = chunks;
      final long totalBytes = bytes;
      final int lost = unplaced;
      return CompletableFuture.allOf(warmed.toArray(CompletableFuture[]::new)).thenApply(y -> {
        int failed = lost;
        String firstError = lost > 0 ? lost + " chunks have no clean replica" : null;
        for (var w : warmed) {
          CacheActor.Warmed r = w.getNow(null);
          failed += r.failed();
          if (firstError == null && r.firstError() != null) firstError = r.firstError();
        }
        return new HintResult(path.toString(), HintOp.WILLNEED.text(), versions.size(), total, totalBytes, failed, firstError,
            List.copyOf(byNode.keySet()));
      });
    });
  }

  private interface PerFile {
    CompletionStage<Done> send(ActorRef<CacheActor.Command> cache, FileVersion v);
  }

  private CompletionStage<HintResult> everywhere(TfsPath path, HintOp op, List<FileVersion> versions, PerFile send) {
    return caches(CacheActor.KEY).thenCompose(refs -> {
      List<CompletableFuture<Done>> all = new ArrayList<>();
      List<CompletableFuture<CacheActor.Stats>> reached = new ArrayList<>();
      for (ActorRef<CacheActor.Command> ref : refs) {
        for (FileVersion v : versions) all.add(send.send(ref, v).toCompletableFuture());
        reached.add(ask(ref, (ActorRef<CacheActor.Stats> r) -> new CacheActor.GetStats(r)).toCompletableFuture());
      }
      int chunks = versions.stream().mapToInt(v -> v.chunks().size()).sum();
      long bytes = versions.stream().mapToLong(FileVersion::size).sum();
      all.addAll(reached.stream().map(f -> f.thenApply(s -> Done.getInstance())).toList());
      return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> new HintResult(path.toString(),
          op.text(), versions.size(), chunks, bytes, 0, null,
          reached.stream().map(f -> f.getNow(null).nodeId()).sorted().toList()));
    });
  }

  /** The file at {@code path}, or every file under it when it is a directory. */
  private CompletionStage<List<FileVersion>> filesUnder(TfsPath path) {
    return files.stat(path).thenApply(List::of).exceptionallyCompose(e -> {
      ErrorCode code = TfsException.codeOf(Failures.unwrap(e));
      if (code != ErrorCode.NOT_FOUND && code != ErrorCode.CONFLICT) return CompletableFuture.failedFuture(e);
      return files.list(path).thenCompose(entries -> {
        List<CompletableFuture<List<FileVersion>>> parts = new ArrayList<>();
        for (DirEntry entry : entries) parts.add(filesUnder(path.child(entry.name())).toCompletableFuture());
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(x -> {
          List<FileVersion> out = new ArrayList<>();
          for (var p : parts) out.addAll(p.getNow(List.of()));
          return out;
        });
      });
    });
  }

  private CompletionStage<Set<ActorRef<CacheActor.Command>>> caches(ServiceKey<CacheActor.Command> key) {
    return Stages.onTheSpot(AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), findTimeout, system.scheduler()))
        .thenApply(listing -> listing.getServiceInstances(key));
  }

  private <R> CompletionStage<R> ask(ActorRef<CacheActor.Command> ref,
      org.apache.pekko.japi.function.Function<ActorRef<R>, CacheActor.Command> message) {
    return Stages.onTheSpot(AskPattern.ask(ref, message::apply, timeout, system.scheduler()));
  }
}
