package io.tensorfs.deploy;

import com.typesafe.config.Config;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.metrics.MetricsReporting;
import io.tensorfs.core.metrics.MetricsSettings;
import io.tensorfs.gateway.metrics.MetricsEndpoint;
import io.tensorfs.gateway.files.CacheHints;
import io.tensorfs.gateway.files.FileOperations;
import io.tensorfs.gateway.front.FrontServer;
import io.tensorfs.gateway.grpc.DirectGpuReads;
import io.tensorfs.gateway.grpc.GrpcGateway;
import io.tensorfs.gateway.front.FrontSettings;
import io.tensorfs.gateway.http.FileDirectReads;
import io.tensorfs.gateway.http.HttpApi;
import io.tensorfs.gpu.GpuSettings;
import io.tensorfs.gpu.GpuSinks;
import io.tensorfs.store.cache.CacheActor;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.sharding.elastic.ElasticSettings;
import io.tensorfs.sharding.elastic.MemoryReplicaAgent;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.replication.NodeChunkService;
import io.tensorfs.sharding.replication.PeerDirectory;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.Repairer;
import io.tensorfs.sharding.replication.ReplicaStores;
import io.tensorfs.sharding.replication.Replication;
import io.tensorfs.transport.Transport;
import io.tensorfs.transport.Transports;
import io.tensorfs.sharding.ShardingSetup;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tensorfs node in a JVM: its stores, the sharded metadata, and the gateway. Starting returns as
 * soon as the gateway listens (it answers 503 meanwhile); the node becomes ready once the cluster is
 * up, the metadata store answers, and every store has reconciled its disk with the metadata.
 */
public final class Node implements NodeStatus {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final TfsPath PROBE = TfsPath.parse("/.tensorfs/probe");
  /** A schema change on a busy Cassandra takes seconds; well above the journal's request timeout. */
  private static final Duration SCHEMA_STATEMENT_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration HINT_TIMEOUT = Duration.ofMinutes(30);

  private final ActorSystem<Void> system;
  private final String nodeId;
  private final Stores stores;
  private final Map<String, ActorRef<StoreActor.Command>> storeActors = new LinkedHashMap<>();
  private final ShardedMetadata metadata;
  /** Re-replication sweeps and read-demand reports: short tasks, one thread. */
  private final java.util.concurrent.ScheduledExecutorService background;
  private final ReadDemandMeter readDemand;
  private final PagePool pool;
  private final ChunkCache cache;
  private final GpuSinks gpus;
  private final Peers peers;
  private final Transport transport;
  private final Repairer repairer;
  private final AtomicBoolean ready = new AtomicBoolean();
  private final CompletionStage<ServerBinding> binding;
  private final CompletionStage<FrontServer> front;
  private final CompletionStage<ServerBinding> grpc;
  private final CompletionStage<ServerBinding> metricsEndpoint;

  private Node(Config config) {
    long startedAtMillis = System.currentTimeMillis();
    this.system = ActorSystem.create(Behaviors.empty(), "tensorfs", config);
    this.nodeId = config.getString("tensorfs.node.id");
    MetricsReporting.start(config);
    this.metricsEndpoint = MetricsEndpoint.bind(system, MetricsSettings.fromConfig(config),
        java.nio.file.Path.of(config.getString("tensorfs.node.data-dir")));
    metricsEndpoint.whenComplete((b, e) -> {
      if (e != null) log.error("node {}: cannot serve metrics", nodeId, e);
      else if (b != null) log.info("node {} metrics at http://{}:{}/metrics", nodeId,
          b.localAddress().getHostString(), b.localAddress().getPort());
    });
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    ShardingSetup.init(system);
    this.stores = new Stores(StoreSettings.fromConfig(config), system);
    for (ChunkStore s : stores.all()) {
      storeActors.put(s.id(), system.systemActorOf(StoreActor.create(s, stores.leases(), stores.settings()), "store-" + s.id(),
          org.apache.pekko.actor.typed.Props.empty()));
    }
    this.metadata = new ShardedMetadata(system, startedAtMillis);

    CacheSettings cacheSettings = CacheSettings.fromConfig(config);
    long t0 = System.nanoTime();
    this.pool = PagePool.allocate(cacheSettings.poolSettings());
    log.info("node {} cache: {} MiB in {} pages of {} MiB, memory {}, taken in {} ms", nodeId,
        pool.capacityBytes() >> 20, pool.pageCount(), pool.pageBytes() >> 20, pool.memoryKind(),
        (System.nanoTime() - t0) / 1_000_000);
    // Chunk bytes between nodes: the transport serves this node's replicas and takes pushed ones; the
    // cache loads from other nodes' replicas through it when this node has none.
    this.peers = new Peers(nodeId);
    org.apache.pekko.stream.Materializer materializer = org.apache.pekko.stream.Materializer.matFromSystem(system);
    this.cache = new ChunkCache(pool, cacheSettings, new ReplicaStores(stores::byId, peers, materializer),
        this::lostBeforeFlush);
    Replication replication = new Replication(peers, stores::byId, materializer);
    this.transport = Transports.create(config, system, new NodeChunkService(stores.all(), cache, replication, stores.leases()));
    peers.connect(transport);
    system.systemActorOf(PeerDirectory.create(peers, transport.localEndpoint(), List.copyOf(storeActors.keySet())),
        "peers", org.apache.pekko.actor.typed.Props.empty());
    log.info("node {} transport {} at {}", nodeId, transport.kind(), transport.localEndpoint());
    this.background = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tensorfs-background");
      t.setDaemon(true);
      return t;
    });
    this.repairer = new Repairer(peers, replication, metadata, stores.all(), Repairer.Settings.from(config), background);
    system.systemActorOf(CacheActor.create(cache, nodeId), "cache", org.apache.pekko.actor.typed.Props.empty());
    this.gpus = GpuSinks.start(system, GpuSettings.fromConfig(config), pool.regions());
    log.info("node {} GPUs: {}", nodeId, gpus.describe());

    // Elastic in-memory replicas: this node's reads of cache(min,max) chunks are reported to their
    // entities, which may ask this node to hold chunks in memory for the other nodes' readers.
    ElasticSettings elastic = ElasticSettings.fromConfig(config);
    ActorRef<MemoryReplicaAgent.Command> memoryReplicas = system.systemActorOf(
        MemoryReplicaAgent.create(cache, peers, elastic), "memory-replicas", org.apache.pekko.actor.typed.Props.empty());
    this.readDemand = new ReadDemandMeter(nodeId, metadata, memoryReplicas, elastic, background);

    GatewaySettings gateway = GatewaySettings.fromConfig(config);
    FileOperations files = new FileOperations(system, metadata, nodeId, stores.all(), storeActors, stores.leases(),
        cache, stores.settings().readSegmentBytes(), gateway.readAheadSegments(), gateway.writeBatchBytes(),
        replication, readDemand);
    CacheHints hints = new CacheHints(system, files, HINT_TIMEOUT);
    HttpApi api = new HttpApi(system, files, hints, gateway, this);
    this.grpc = GrpcGateway.bind(system, files, gpus, new DirectGpuReads(gpus.fileReads(), stores.all()),
        (path, op) -> hints.apply(path, CacheHints.Op.parse(op)).thenApply(Object::toString));
    grpc.whenComplete((b, e) -> {
      if (e != null) {
        log.error("node {}: cannot listen for gRPC", nodeId, e);
        system.terminate();
      } else {
        log.info("node {} gRPC listening on grpc={}:{}", nodeId, b.localAddress().getHostString(),
            b.localAddress().getPort());
      }
    });
    FrontSettings frontSettings = FrontSettings.fromConfig(config);
    if (frontSettings.enabled()) {
      // The front door takes the public address; the full server listens on loopback behind it.
      this.binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(api::handle);
      this.front = binding.thenApply(b -> {
        try {
          return FrontServer.start(frontSettings, new FileDirectReads(files, this), b.localAddress());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    } else {
      this.binding = Http.get(system).newServerAt(gateway.httpHost(), gateway.httpPort()).bind(api::handle);
      this.front = CompletableFuture.completedFuture(null);
    }
    front.thenCombine(binding, (f, b) -> f != null ? f.localAddress() : b.localAddress()).whenComplete((at, e) -> {
      if (e != null) {
        log.error("cannot listen on {}:{}", gateway.httpHost(), gateway.httpPort(), e);
        system.terminate();
      } else {
        log.info("node {} gateway listening on http://{}{}", nodeId, at.getHostString() + ":" + at.getPort(),
            frontSettings.enabled() ? " (file reads from cache pages; the rest relayed to port "
                + binding.toCompletableFuture().getNow(null).localAddress().getPort() + ")" : "");
      }
    });
    becomeReady();
  }

  public static Node start(Config config) {
    return new Node(config);
  }

  public CompletionStage<ServerBinding> binding() {
    return binding;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public boolean ready() {
    return ready.get();
  }

  @Override
  public List<String> members() {
    List<String> out = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(m -> out.add(m.address() + " (" + m.status() + ")"));
    return out;
  }

  /**
   * A write-back chunk dropped from memory before it reached its disk: the metadata marks its replica
   * missing, so readers get a clean miss.
   */
  private void lostBeforeFlush(ChunkId chunk) {
    log.warn("node {}: kvcache chunk {} dropped from memory before its flush; it is lost", nodeId, chunk);
    for (ChunkStore s : stores.all()) metadata.reportMissing(chunk, s.id());
  }

  /** Stops the node: the gateway first, then write-back data to disk, then the actor system. */
  public CompletionStage<Void> stop() {
    return front.thenAccept(f -> {
          if (f != null) f.close();
        })
        .handle((x, e) -> null)
        .thenCompose(x -> binding)
        .thenCompose(b -> b.terminate(Duration.ofSeconds(5)))
        .handle((x, e) -> null)
        .thenCompose(x -> grpc)
        .thenCompose(b -> b.terminate(Duration.ofSeconds(5)))
        .handle((x, e) -> null)
        .thenCompose(x -> metricsEndpoint)
        .thenAccept(b -> {
          if (b != null) b.unbind();
        })
        .handle((x, e) -> null)
        .thenCompose(x -> cache.flushAll().toCompletableFuture().completeOnTimeout(null, 30, TimeUnit.SECONDS))
        .handle((x, e) -> null)
        .thenCompose(x -> {
          repairer.close();
          readDemand.close();
          background.shutdownNow();
          transport.close();
          MetricsReporting.stop();
          system.terminate();
          return system.getWhenTerminated().thenApply(d -> (Void) null);
        });
  }

  private void becomeReady() {
    untilSchema()
        .thenCompose(x -> untilUp())
        .thenCompose(x -> untilMetadataAnswers())
        .thenCompose(x -> reconcileStores())
        .whenComplete((x, e) -> {
          if (e != null) {
            log.error("node {} failed to start", nodeId, e);
            system.terminate();
          } else {
            ready.set(true);
            repairer.start();
            log.info("node {} is ready", nodeId);
          }
        });
  }

  private CompletionStage<Void> untilUp() {
    return retry(() -> Cluster.get(system).selfMember().status() == MemberStatus.up()
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, "cluster not up yet")), "cluster");
  }

  private CompletionStage<Void> untilSchema() {
    if (!MetadataSchema.inCassandra(system.settings().config())) return CompletableFuture.completedFuture(null);
    return retry(() -> MetadataSchema.create(system, SCHEMA_STATEMENT_TIMEOUT), "metadata schema");
  }

  /** Until the journal answers (Cassandra may still be starting), the probe times out. */
  private CompletionStage<Void> untilMetadataAnswers() {
    return retry(() -> metadata.stat(PROBE).handle((v, e) -> {
      if (e == null || TfsException.codeOf(e) == ErrorCode.NOT_FOUND) return null;
      throw new TfsException(ErrorCode.UNAVAILABLE, "metadata store: " + e.getMessage(), e);
    }), "metadata store");
  }

  private CompletionStage<Void> reconcileStores() {
    List<CompletableFuture<StoreActor.ReconcileReport>> all = new ArrayList<>();
    for (var e : storeActors.entrySet()) {
      CompletionStage<StoreActor.ReconcileReport> report = AskPattern.ask(e.getValue(),
          (ActorRef<StoreActor.ReconcileReport> replyTo) -> new StoreActor.Reconcile(metadata, replyTo),
          Duration.ofMinutes(10), system.scheduler());
      all.add(report.thenApply(r -> {
        log.info("store {} reconciled: {} file versions kept, {} orphans removed, {} replicas missing{}", e.getKey(),
            r.filesKept(), r.orphansRemoved(), r.missing().size(), r.missing().isEmpty() ? "" : " " + r.missing());
        return r;
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private CompletionStage<Void> retry(java.util.function.Supplier<CompletionStage<Void>> attempt, String what) {
    return attempt.get().handle((v, e) -> {
      if (e == null) return CompletableFuture.<Void>completedFuture(null);
      log.info("node {} waiting for {}: {}", nodeId, what, e.getMessage());
      CompletableFuture<Void> next = new CompletableFuture<>();
      system.scheduler().scheduleOnce(Duration.ofSeconds(1), () -> retry(attempt, what).whenComplete((v2, e2) -> {
        if (e2 != null) next.completeExceptionally(e2);
        else next.complete(v2);
      }), system.executionContext());
      return next;
    }).thenCompose(s -> s);
  }
}
