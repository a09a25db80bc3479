package io.tensorfs.sharding.admin;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.ChunkEntity;
import io.tensorfs.sharding.DirectoryEntity;
import io.tensorfs.sharding.FileEntity;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.checkpoint.CheckpointJobEntity;
import io.tensorfs.sharding.events.NodeEvent;
import io.tensorfs.sharding.events.NodeEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The admin console's read-only views (README: "Admin console"), asked of the cluster by any node: its
 * members from Pekko Cluster, the shards of each entity type from Cluster Sharding, every node's report
 * from its {@link AdminAgent} (a node that does not answer within {@code node-timeout} is listed with an
 * error), the chunks below their policy and the repairs in flight, the hottest files with their elastic
 * replicas, and the live events. Thread-safe; holds only the previous shard layout per type, to tell
 * whether shards are moving.
 */
public final class AdminViews {
  private static final Map<String, EntityTypeKey<?>> TYPES = new LinkedHashMap<>();

  static {
    TYPES.put("file", FileEntity.ENTITY_TYPE_KEY);
    TYPES.put("chunk", ChunkEntity.ENTITY_TYPE_KEY);
    TYPES.put("directory", DirectoryEntity.ENTITY_TYPE_KEY);
    TYPES.put("checkpoint-job", CheckpointJobEntity.ENTITY_TYPE_KEY);
  }

  private final ActorSystem<?> system;
  private final Metadata metadata;
  private final AdminSettings settings;
  private final NodeEvents events;
  private final Map<String, Map<String, String>> lastLayout = new ConcurrentHashMap<>();

  public AdminViews(ActorSystem<?> system, Metadata metadata, AdminSettings settings) {
    this.system = system;
    this.metadata = metadata;
    this.settings = settings;
    this.events = NodeEvents.get(system);
  }

  /** The members, status, roles, reachability and leader, with each member's start and version from its report. */
  public CompletionStage<Views.Cluster> cluster() {
    return nodes().thenApply(nodes -> {
      Map<String, NodeReport> byAddress = new HashMap<>();
      for (NodeReport r : nodes.nodes()) if (r.address() != null) byAddress.put(r.address(), r);
      var state = Cluster.get(system).state();
      Set<Member> unreachable = new java.util.HashSet<>();
      state.getUnreachable().forEach(unreachable::add);
      List<Views.Member> members = new ArrayList<>();
      state.getMembers().forEach(m -> {
        String address = m.address().toString();
        NodeReport r = byAddress.get(address);
        boolean answered = r != null && r.error() == null;
        members.add(new Views.Member(events.nameOf(address), address, m.status().toString(), List.copyOf(new TreeSet<>(
            m.getRoles())), !unreachable.contains(m), answered ? r.startedAt() : null, answered ? r.version() : null));
      });
      Address leader = state.getLeader();
      String self = Cluster.get(system).selfMember().address().toString();
      return new Views.Cluster(events.nameOf(self), leader == null ? null : events.nameOf(leader.toString()),
          BuildVersion.version(), members);
    });
  }

  /** Each entity type's shards and entities per node, from Cluster Sharding's statistics. */
  public CompletionStage<Views.Sharding> sharding() {
    List<CompletableFuture<Views.EntityType>> all = new ArrayList<>();
    TYPES.forEach((name, key) -> all.add(entityType(name, key).toCompletableFuture()));
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(x -> new Views.Sharding(all.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<Views.EntityType> entityType(String name, EntityTypeKey<?> key) {
    Duration timeout = settings.nodeTimeout();
    CompletionStage<ShardRegion.ClusterShardingStats> stats = AskPattern.ask(ClusterSharding.get(system).shardState(),
        (ActorRef<ShardRegion.ClusterShardingStats> r) -> new GetClusterShardingStats(key, timeout, r),
        timeout.plusSeconds(1), system.scheduler());
    return stats.thenApply(s -> {
      List<Views.Region> regions = new ArrayList<>();
      Map<String, String> layout = new HashMap<>();
      boolean failed = false;
      for (Map.Entry<Address, ShardRegion.ShardRegionStats> e : s.getRegions().entrySet()) {
        String address = e.getKey().toString();
        int entities = 0;
        for (Object n : e.getValue().getStats().values()) entities += ((Number) n).intValue();
        for (String shard : e.getValue().getStats().keySet()) layout.put(shard, address);
        failed |= !e.getValue().getFailed().isEmpty();
        regions.add(new Views.Region(events.nameOf(address), address, e.getValue().getStats().size(), entities));
      }
      regions.sort(Comparator.comparing(Views.Region::node));
      Map<String, String> before = lastLayout.put(name, layout);
      boolean moved = before != null && layout.entrySet().stream()
          .anyMatch(e -> before.containsKey(e.getKey()) && !before.get(e.getKey()).equals(e.getValue()));
      int shards = regions.stream().mapToInt(Views.Region::shards).sum();
      int entities = regions.stream().mapToInt(Views.Region::entities).sum();
      int most = regions.stream().mapToInt(Views.Region::shards).max().orElse(0);
      double imbalance = shards == 0 ? 0 : most / ((double) shards / regions.size());
      return new Views.EntityType(name, regions, shards, entities, imbalance, moved || failed);
    });
  }

  /** Every member's report, asked over the cluster; one that does not answer in time is listed with an error. */
  public CompletionStage<Views.Nodes> nodes() {
    return find(AdminAgent.KEY).thenCompose(agents -> {
      List<CompletableFuture<NodeReport>> asked = new ArrayList<>();
      for (ActorRef<AdminAgent.Command> agent : agents) {
        String address = addressOf(agent);
        asked.add(AskPattern.ask(agent, AdminAgent.GetReport::new, settings.nodeTimeout(), system.scheduler())
            .exceptionally(e -> NodeReport.unanswered(events.nameOf(address), address,
                "did not answer within " + settings.nodeTimeout().toMillis() + " ms"))
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> {
        Map<String, NodeReport> byAddress = new LinkedHashMap<>();
        for (CompletableFuture<NodeReport> f : asked) {
          NodeReport r = f.join();
          if (r.error() == null) events.learn(r.address(), r.nodeId());
          byAddress.put(r.address(), r);
        }
        Cluster.get(system).state().getMembers().forEach(m -> {
          String address = m.address().toString();
          byAddress.putIfAbsent(address, NodeReport.unanswered(events.nameOf(address), address,
              "no admin agent registered (member " + m.status() + ")"));
        });
        List<NodeReport> sorted = new ArrayList<>(byAddress.values());
        sorted.sort(Comparator.comparing(NodeReport::nodeId));
        return new Views.Nodes(sorted);
      });
    });
  }

  /** The recent throughput and latency samples of {@code nodeId}, over the last {@code windowSeconds}. */
  public CompletionStage<MetricSeries> metrics(String nodeId, long windowSeconds) {
    return find(AdminAgent.keyFor(nodeId)).thenCompose(agents -> {
      if (agents.isEmpty()) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no node " + nodeId + " in the cluster"));
      }
      return AskPattern.ask(agents.iterator().next(), (ActorRef<MetricSeries> r) -> new AdminAgent.GetSeries(windowSeconds, r),
          settings.nodeTimeout(), system.scheduler()).exceptionally(e -> {
            throw new TfsException(ErrorCode.UNAVAILABLE, "node " + nodeId + " did not answer within "
                + settings.nodeTimeout().toMillis() + " ms");
          });
    });
  }

  /** The chunks below their policy and the repairs in flight, from every node's repairer. */
  public CompletionStage<Views.UnderReplicated> underReplicated() {
    return nodes().thenApply(nodes -> {
      List<NodeReport.UnderReplicated> chunks = new ArrayList<>();
      List<NodeReport.Repair> repairs = new ArrayList<>();
      for (NodeReport r : nodes.nodes()) {
        chunks.addAll(r.underReplicated());
        repairs.addAll(r.repairs());
      }
      chunks.sort(Comparator.comparing(NodeReport.UnderReplicated::path).thenComparing(NodeReport.UnderReplicated::chunk));
      return new Views.UnderReplicated(chunks, repairs);
    });
  }

  /** The hottest files (reads summed over the nodes), with the nodes holding their chunks in memory. */
  public CompletionStage<Views.Hot> hot() {
    return nodes().thenCompose(nodes -> {
      Map<String, Double> reads = new HashMap<>();
      Map<String, Set<String>> readers = new HashMap<>();
      Map<String, Set<String>> chunks = new HashMap<>();
      for (NodeReport r : nodes.nodes()) {
        for (NodeReport.HotRead h : r.hot()) {
          reads.merge(h.path(), h.readsPerSecond(), Double::sum);
          readers.computeIfAbsent(h.path(), p -> new TreeSet<>()).add(r.nodeId());
          chunks.computeIfAbsent(h.path(), p -> new TreeSet<>()).addAll(h.chunks());
        }
      }
      List<String> top = reads.keySet().stream()
          .sorted(Comparator.comparing((String p) -> reads.get(p)).reversed()).limit(settings.hotFiles()).toList();
      List<CompletableFuture<Views.HotFile>> files = new ArrayList<>();
      for (String path : top) {
        files.add(hotFile(path, reads.get(path), List.copyOf(readers.get(path)), chunks.get(path)).toCompletableFuture());
      }
      return CompletableFuture.allOf(files.toArray(CompletableFuture[]::new))
          .thenApply(x -> new Views.Hot(files.stream().map(CompletableFuture::join).toList()));
    });
  }

  private CompletionStage<Views.HotFile> hotFile(String path, double readsPerSecond, List<String> readers,
      Set<String> chunkIds) {
    CompletionStage<String> policy = metadata.stat(TfsPath.parse(path)).handle((v, e) -> e == null ? v.policy().text() : null);
    CompletionStage<Set<String>> memory = CompletableFuture.completedFuture(new TreeSet<>());
    for (String id : chunkIds) {
      CompletionStage<List<String>> holders = metadata.chunk(ChunkId.parse(id))
          .handle((s, e) -> e == null ? s.memory().nodes() : List.<String>of());
      memory = memory.thenCombine(holders, (all, some) -> {
        all.addAll(some);
        return all;
      });
    }
    return policy.thenCombine(memory, (p, m) -> new Views.HotFile(path, readsPerSecond, List.copyOf(m), p, readers));
  }

  /** The last events this node kept, then each new one as it happens. */
  public Source<NodeEvent, NotUsed> events() {
    return events.source();
  }

  private <T> CompletionStage<Set<ActorRef<T>>> find(ServiceKey<T> key) {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            r -> Receptionist.find(key, r), settings.nodeTimeout(), system.scheduler())
        .thenApply(listing -> new LinkedHashSet<>(listing.getServiceInstances(key)));
  }

  /** The cluster address of an agent: a local one's path has no host, so it is this node's. */
  private String addressOf(ActorRef<?> agent) {
    Address a = agent.path().address();
    return a.hasGlobalScope() ? a.toString() : Cluster.get(system).selfMember().address().toString();
  }
}
