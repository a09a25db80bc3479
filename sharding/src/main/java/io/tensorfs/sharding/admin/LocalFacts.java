package io.tensorfs.sharding.admin;

import io.tensorfs.core.metrics.Readings;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.RepairBook;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.cache.CacheStats;
import io.tensorfs.store.cache.ChunkCache;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The parts of a node its report is read from: stores, cache, GPU sinks, transport and peers, the
 * repairer's book and the read-demand meter. {@link #report} looks at the file systems, so it runs on a
 * blocking thread; everything else it reads is thread-safe.
 *
 * @param address    this node's Pekko Cluster address
 * @param startedAtMillis when this node's process started (epoch milliseconds)
 * @param gpus       one line per GPU sink
 */
public record LocalFacts(String nodeId, String address, long startedAtMillis, List<ChunkStore> stores,
    ChunkCache cache, Supplier<List<String>> gpus, Peers peers, RepairBook repairs, ReadDemandMeter demand) {

  /** This node's report now. */
  public NodeReport report() {
    long now = System.currentTimeMillis();
    return new NodeReport(nodeId, address, Instant.ofEpochMilli(startedAtMillis).toString(),
        (now - startedAtMillis) / 1000, BuildVersion.version(), storeReports(), cacheReport(), gpus.get(), transport(),
        repairs.underReplicated().stream().map(u -> new NodeReport.UnderReplicated(u.path().toString(),
            u.chunk().toString(), u.replicas(), u.wanted(), u.states(), nodeId)).toList(),
        repairs.repairs().stream().map(r -> new NodeReport.Repair(r.path().toString(), r.chunk().toString(), r.from(),
            r.targets(), r.since().toString())).toList(),
        demand.recent().stream().map(d -> new NodeReport.HotRead(d.path().toString(), d.readsPerSecond(),
            d.chunks().stream().map(Object::toString).toList())).toList(),
        null);
  }

  private List<NodeReport.Store> storeReports() {
    List<NodeReport.Store> out = new ArrayList<>();
    for (ChunkStore s : stores) {
      long capacity = 0;
      long free = 0;
      boolean healthy;
      try {
        FileStore fs = Files.getFileStore(s.directory());
        capacity = fs.getTotalSpace();
        free = s.usableBytes();
        healthy = Files.isDirectory(s.directory()) && Files.isWritable(s.directory());
      } catch (IOException e) {
        healthy = false;
      }
      out.add(new NodeReport.Store(s.id(), s.directory().toString(), capacity, Math.max(0, capacity - free), free,
          healthy));
    }
    return out;
  }

  private NodeReport.Cache cacheReport() {
    CacheStats c = cache.stats();
    long lookups = c.hits() + c.misses();
    return new NodeReport.Cache(c.capacityBytes(), c.usedBytes(), c.pinnedBytes(), c.dirtyBytes(), c.files(), c.hits(),
        c.misses(), lookups == 0 ? 0 : (double) c.hits() / lookups, c.memoryKind());
  }

  private NodeReport.Transport transport() {
    List<String> known = new ArrayList<>();
    peers.live().forEach((id, info) -> {
      if (!id.equals(nodeId)) known.add(id + " " + info.endpoint());
    });
    var t = peers.transport();
    return new NodeReport.Transport(t.kind(), t.localEndpoint(), known,
        Readings.counterTotal("tensorfs.transport.sent"), Readings.counterTotal("tensorfs.transport.received"));
  }
}
