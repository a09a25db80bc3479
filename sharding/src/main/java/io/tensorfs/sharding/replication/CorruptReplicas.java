package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.sharding.events.NodeEvent;
import io.tensorfs.sharding.events.NodeEvents;
import io.tensorfs.sharding.metrics.ReplicationMetrics;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import io.tensorfs.store.CorruptReplica;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node does with a replica one of its stores found corrupt (a read, a fetch for another node,
 * the scrubber): it marks the replica CORRUPT in the chunk's entity at once (readers then try it last, and
 * {@code stat} shows it), and {@code corrupt-delay} later re-creates it in place: the committed bytes are
 * read from a clean replica (another store here, or other nodes', going on from the next one at the byte
 * reached when one fails), written as a new replica over the corrupt files (a writer's rename replaces them
 * whole), checked against the committed length and CRC32C, and recorded CLEAN. The replica's node owns its
 * re-creation: the other nodes' repair sweeps do not copy a chunk for a live node's CORRUPT replica, and
 * this node's {@link Repairer} sweeps try again while it stays CORRUPT. With no clean replica anywhere it
 * stays CORRUPT; its good blocks still serve reads that do not touch the bad ones.
 *
 * <p>Thread-safe: told on the stores' I/O threads, it only sends asks and schedules; the copy runs on the
 * stores' and transport's threads. One re-creation per replica at a time.
 */
public final class CorruptReplicas implements CorruptReplica.Listener {
  private static final Logger log = LoggerFactory.getLogger(CorruptReplicas.class);
  /** Largest read of a clean replica at once while copying. */
  private static final int SEGMENT_BYTES = 4 << 20;

  /** @param delay from marking a replica CORRUPT to re-creating it */
  public record Settings(Duration delay) {
    public static Settings from(Config config) {
      return new Settings(config.getDuration("tensorfs.sharding.repair.corrupt-delay"));
    }
  }

  private final ActorSystem<?> system;
  private final ShardedMetadata metadata;
  private final Peers peers;
  private final Map<String, ChunkStore> stores;
  private final Settings settings;
  private final Set<ReplicaKey> busy = ConcurrentHashMap.newKeySet();

  private record ReplicaKey(ChunkId chunk, String store) {}

  /** @param stores this node's stores by id */
  public CorruptReplicas(ActorSystem<?> system, ShardedMetadata metadata, Peers peers, Map<String, ChunkStore> stores,
      Settings settings) {
    this.system = system;
    this.metadata = metadata;
    this.peers = peers;
    this.stores = Map.copyOf(stores);
    this.settings = settings;
  }

  @Override
  public void found(CorruptReplica report) {
    ChunkStore store = stores.get(report.storeId());
    ReplicaKey key = new ReplicaKey(report.chunk(), report.storeId());
    if (store == null || !busy.add(key)) return;
    ReplicaLocation here = new ReplicaLocation(peers.selfId(), report.storeId());
    metadata.markCorrupt(report.chunk(), here).whenComplete((status, e) -> {
      if (e != null) {
        busy.remove(key);
        log.warn("replica of {} on {} is corrupt ({}) but could not be marked: {}", report.chunk(), here,
            report.reason(), Failures.unwrap(e).toString());
        return;
      }
      ReplicationMetrics.corruptFound();
      NodeEvents.get(system).publish(NodeEvent.of(NodeEvent.Kind.CHECKSUM_FAILURE, peers.selfId(),
          "replica of chunk " + report.chunk() + " on store " + report.storeId() + " is corrupt: " + report.reason()));
      log.warn("replica of {} on {} is corrupt ({}); marked CORRUPT, re-created in {}", report.chunk(), here,
          report.reason(), settings.delay());
      system.scheduler().scheduleOnce(settings.delay(), () -> recreateOwned(key, store, report),
          system.executionContext());
    });
  }

  private void recreateOwned(ReplicaKey key, ChunkStore store, CorruptReplica report) {
    CompletionStage<Boolean> done = report.owner().isPresent()
        ? copyIn(report.chunk(), store, report.owner().get())
        : CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "its file version's owner is unreadable"));
    done.whenComplete((ok, e) -> {
      busy.remove(key);
      if (e != null) log.warn("corrupt replica of {} on store {} not re-created now: {}", report.chunk(),
          store.id(), Failures.unwrap(e).toString());
    });
  }

  /**
   * Re-creates the replica of {@code chunk} on {@code store} when the chunk's entity lists it CORRUPT
   * (a repair sweep's retry); completes with whether it did. Skipped (false) while a re-creation of it runs.
   */
  public CompletionStage<Boolean> recreate(ChunkId chunk, ChunkStore store, TfsPath owner) {
    ReplicaKey key = new ReplicaKey(chunk, store.id());
    if (!busy.add(key)) return CompletableFuture.completedFuture(false);
    return copyIn(chunk, store, owner).whenComplete((ok, e) -> busy.remove(key));
  }

  private CompletionStage<Boolean> copyIn(ChunkId chunk, ChunkStore store, TfsPath owner) {
    ReplicaLocation here = new ReplicaLocation(peers.selfId(), store.id());
    return metadata.chunk(chunk).thenCompose(status -> {
      if (!status.committed() || !status.corrupt().contains(here)) return CompletableFuture.completedFuture(false);
      List<ChunkStore> sources = cleanSources(status, here);
      if (sources.isEmpty()) {
        log.warn("replica of {} on {} stays CORRUPT: no clean replica to re-create it from (replicas: {})", chunk,
            here, status.replicas());
        return CompletableFuture.completedFuture(false);
      }
      ChunkWriter writer = store.openWriter(chunk, owner, true);
      return copy(chunk, sources, writer, 0, status.lengthBytes())
          .thenCompose(d -> writer.finish())
          .whenComplete((w, e) -> {
            if (e != null) writer.abort();
          })
          .thenCompose(written -> {
            if (written.lengthBytes() != status.lengthBytes() || written.crc32c() != status.crc32c()) {
              throw new TfsException(ErrorCode.CHECKSUM_MISMATCH, "the copy of " + chunk + " has " + written.lengthBytes()
                  + " bytes and CRC32C " + Integer.toHexString(written.crc32c()) + ", committed were "
                  + status.lengthBytes() + " and " + Integer.toHexString(status.crc32c()));
            }
            return metadata.addReplica(chunk, here, written.lengthBytes(), written.crc32c());
          })
          .thenApply(s -> {
            ReplicationMetrics.corruptRecreated();
            log.info("corrupt replica of {} on {} re-created from a clean one: CLEAN again", chunk, here);
            return true;
          });
    });
  }

  /** The clean replicas to copy from: this node's other stores, then the other live nodes' as one store. */
  private List<ChunkStore> cleanSources(ChunkStatus status, ReplicaLocation here) {
    List<ChunkStore> out = new ArrayList<>();
    List<ReplicaLocation> remote = new ArrayList<>();
    for (ReplicaLocation r : status.clean()) {
      if (r.equals(here)) continue;
      if (r.node().equals(peers.selfId())) {
        if (stores.containsKey(r.store())) out.add(stores.get(r.store()));
      } else if (peers.isLive(r.node())) {
        remote.add(r);
      }
    }
    if (!remote.isEmpty()) out.add(new RemoteReplicas(remote, peers));
    return out;
  }

  /** Appends the bytes {@code [pos, length)} segment by segment, each read from the first source that serves it. */
  private CompletionStage<Void> copy(ChunkId chunk, List<ChunkStore> sources, ChunkWriter writer, long pos,
      long length) {
    if (pos >= length) return CompletableFuture.completedFuture(null);
    int n = (int) Math.min(SEGMENT_BYTES, length - pos);
    return readFrom(sources, 0, chunk, pos, n).thenCompose(bytes -> {
      if (bytes.size() != n) {
        throw new TfsException(ErrorCode.IO_ERROR, "clean replica of " + chunk + " is short at " + pos);
      }
      return writer.append(bytes);
    }).thenCompose(d -> copy(chunk, sources, writer, pos + n, length));
  }

  private static CompletionStage<ByteString> readFrom(List<ChunkStore> sources, int i, ChunkId chunk, long pos, int n) {
    return sources.get(i).read(chunk, pos, n).handle((bytes, e) -> {
      if (e == null) return CompletableFuture.completedFuture(bytes);
      if (i + 1 >= sources.size()) return CompletableFuture.<ByteString>failedFuture(Failures.unwrap(e));
      return readFrom(sources, i + 1, chunk, pos, n);
    }).thenCompose(s -> s);
  }
}
