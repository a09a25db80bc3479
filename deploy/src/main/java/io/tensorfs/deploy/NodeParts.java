package io.tensorfs.deploy;

import com.typesafe.config.Config;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.metrics.MetricsSettings;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.front.FrontServer;
import io.tensorfs.gateway.front.FrontSettings;
import io.tensorfs.gateway.grpc.DirectGpuReads;
import io.tensorfs.gateway.grpc.GrpcGateway;
import io.tensorfs.gateway.local.LocalChannels;
import io.tensorfs.gateway.grpc.Hints;
import io.tensorfs.gateway.http.FileDirectReads;
import io.tensorfs.gateway.http.HttpApi;
import io.tensorfs.gateway.auth.S3Keys;
import io.tensorfs.gateway.s3.S3Server;
import io.tensorfs.gateway.s3.S3Settings;
import io.tensorfs.gateway.metrics.MetricsEndpoint;
import io.tensorfs.gpu.GpuSettings;
import io.tensorfs.gpu.GpuSinks;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.sharding.ShardingSetup;
import io.tensorfs.sharding.DirectorySettings;
import io.tensorfs.sharding.DirectoryStores;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import io.tensorfs.sharding.admin.AdminAgent;
import io.tensorfs.sharding.admin.AdminSettings;
import io.tensorfs.sharding.admin.AdminViews;
import io.tensorfs.sharding.admin.LocalFacts;
import io.tensorfs.sharding.events.NodeEvents;
import io.tensorfs.sharding.replication.RepairBook;
import io.tensorfs.sharding.auth.AdminTokenFile;
import io.tensorfs.sharding.auth.AuthSettings;
import io.tensorfs.sharding.auth.AuthSetup;
import io.tensorfs.sharding.auth.TokenText;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.checkpoint.CheckpointSetup;
import io.tensorfs.sharding.checkpoint.Checkpoints;
import io.tensorfs.sharding.drain.DrainSettings;
import io.tensorfs.sharding.drain.DrainWorker;
import io.tensorfs.sharding.drain.NodeDrains;
import io.tensorfs.sharding.kv.KvNode;
import io.tensorfs.gateway.grpc.GrpcSettings;
import io.tensorfs.sharding.ElasticSettings;
import io.tensorfs.sharding.MemoryReplicaProtocol;
import io.tensorfs.sharding.elastic.MemoryReplicaAgent;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.replication.CorruptReplicas;
import io.tensorfs.sharding.replication.NodeChunkService;
import io.tensorfs.sharding.replication.PeerDirectory;
import io.tensorfs.sharding.replication.Peers;
import io.tensorfs.sharding.replication.RemoteReadSettings;
import io.tensorfs.sharding.replication.ServeSettings;
import io.tensorfs.sharding.replication.RepairTrigger;
import io.tensorfs.sharding.replication.Repairer;
import io.tensorfs.sharding.replication.Replication;
import io.tensorfs.sharding.operator.LocalNode;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.OperatorSettings;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.CorruptReplica;
import io.tensorfs.store.ReconcileReport;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import io.tensorfs.store.cache.CacheActor;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.store.scrub.ScrubSettings;
import io.tensorfs.store.scrub.Scrubber;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.MemoryRegions;
import io.tensorfs.transport.Transport;
import io.tensorfs.transport.Transports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The product's parts of a node, built from its configuration when the guardian asks, one expression
 * each: the data plane (stores, metadata, cache, transport, GPU sinks), the background workers
 * (read-demand reports, the memory replica agent, repair sweeps and their on-demand trigger, the drain
 * worker, the scrubber), the edges (the file operations, HTTP,
 * gRPC, the front door, S3) and the steps to ready. Each part is built on its own actor's thread; a field
 * set by an earlier part is read by a later one only after the guardian's message between them.
 */
final class NodeParts implements NodeAssembly {
  private static final Logger log = LoggerFactory.getLogger(NodeParts.class);
  private static final TfsPath PROBE = TfsPath.parse("/.tensorfs/probe");

  private final Config config;
  private final NodeSettings settings;
  private final ActorSystem<?> system;
  private final String nodeId;
  private final NodeStatus status;
  private final CompletableFuture<ServerBinding> httpBinding;
  private final long startedAtMillis = System.currentTimeMillis();
  private final ClusterSecret secret;

  private Stores stores;
  private final Map<String, ActorRef<StoreActor.Command>> storeActors = new LinkedHashMap<>();
  private ShardedMetadata metadata;
  private ChunkCache cache;
  private Peers peers;
  private Replication replication;
  private Transport transport;
  private GpuSinks gpus;
  private ReadDemandMeter readDemand;
  /** The repairer's chunks below their policy and repairs in flight, for the admin console. */
  private RepairBook repairBook;
  private ActorRef<PeerDirectory.Command> peerDirectory;
  /** When the start step that waits for the other nodes first ran ({@link System#nanoTime}); 0 before. */
  private long peersWaitSince;
  private NodeDrains drains;
  /** Set in {@link #repairs}; read by the repair trigger's actor. */
  private volatile Repairer repairer;
  private Tokens tokens;
  /** The admin token's file and the token in it, read or written in {@link #edges}; null without a file. */
  private Path adminTokenFile;
  private TokenText adminToken;
  /** Set once the metadata is up, in {@link #dataPlane}; read by the stores' I/O threads. */
  private volatile CorruptReplicas corruptReplicas;

  /**
   * @param httpBinding completed with the HTTP server's binding once it listens
   * @param secret the cluster's secret, which the chunk transport's peers must hold
   */
  NodeParts(Config config, NodeSettings settings, ActorSystem<?> system, NodeStatus status,
      CompletableFuture<ServerBinding> httpBinding, ClusterSecret secret) {
    this.secret = secret;
    this.config = config;
    this.settings = settings;
    this.system = system;
    this.nodeId = status.nodeId();
    this.status = status;
    this.httpBinding = httpBinding;
  }

  @Override
  public DataPlane dataPlane(ActorContext<?> context) {
    joinCluster();
    registerDirectoryStore();
    ShardingSetup.init(system);
    CheckpointSetup.init(system);
    AuthSetup.init(system);
    stores = new Stores(StoreSettings.fromConfig(config), system, this::replicaCorrupt);
    for (ChunkStore s : stores.all()) {
      storeActors.put(s.id(), context.spawn(StoreActor.create(s, stores.leases(), stores.settings()), "store-" + s.id()));
    }
    metadata = new ShardedMetadata(system, startedAtMillis);
    CacheSettings cacheSettings = CacheSettings.fromConfig(config);
    PagePool pool = allocatePool(cacheSettings);
    // Chunk bytes between nodes: the transport serves this node's replicas and takes pushed ones; the
    // cache loads from other nodes' replicas through it when this node has none.
    peers = new Peers(nodeId, RemoteReadSettings.from(config));
    Map<String, ChunkStore> storesById = new LinkedHashMap<>();
    for (ChunkStore s : stores.all()) storesById.put(s.id(), s);
    corruptReplicas = new CorruptReplicas(system, metadata, peers, storesById, CorruptReplicas.Settings.from(config));
    Materializer materializer = Materializer.matFromSystem(system);
    cache = new ChunkCache(pool, cacheSettings, stores::byId, this::lostBeforeFlush);
    replication = new Replication(peers, stores::byId, materializer);
    // The node's KV blocks (in memory) come first: the transport serves them to other nodes' KV reads.
    List<ChunkStore> served = new ArrayList<>();
    served.add(KvNode.get(system).blocks());
    served.addAll(stores.all());
    // The pool's regions and the serve buffers' are handed over once: the RDMA wire registers them and sends
    // from them, the TCP wire writes from them; both send cache pages and chunks read from disk where they lie.
    NodeChunkService chunkService = new NodeChunkService(served, cache, replication, stores.leases(), ServeSettings.from(config));
    List<ByteBuffer> inPlace = new ArrayList<>(pool.regions());
    inPlace.addAll(chunkService.servingRegions());
    transport = Transports.create(config, system, chunkService, secret, new MemoryRegions(inPlace));
    peers.connect(transport);
    peerDirectory = context.spawn(PeerDirectory.create(peers, transport.localEndpoint(), stores.all(),
        PeerDirectory.Settings.from(config)), "peers");
    drains = new NodeDrains(system, peers, DrainSettings.from(config));
    log.info("node {} transport {} at {}", nodeId, transport.kind(), transport.localEndpoint());
    context.spawn(CacheActor.create(cache, nodeId), "cache");
    gpus = GpuSinks.start(system, GpuSettings.fromConfig(config), pool.regions());
    log.info("node {} GPUs: {}", nodeId, gpus.describe());
    repairBook = new RepairBook(nodeId, NodeEvents.get(system)::publish);
    return new DataPlane() {
      @Override
      public CompletionStage<Done> flush() {
        return cache.flushAll();
      }

      @Override
      public void close() {
        transport.close();
        cache.close();
      }
    };
  }

  /**
   * Elastic in-memory replicas: this node's reads of cache(min,max) chunks are reported to their
   * entities, which may ask this node to hold chunks in memory for the other nodes' readers.
   */
  @Override
  public AutoCloseable background(ActorContext<?> context, ScheduledExecutorService timer) {
    ElasticSettings elastic = ElasticSettings.fromConfig(config);
    ActorRef<MemoryReplicaProtocol.Command> memoryReplicas = context.spawn(
        Behaviors.supervise(MemoryReplicaAgent.create(cache, peers, stores.all(), elastic)).onFailure(Worker.backoff(settings)),
        "memory-replicas");
    readDemand = new ReadDemandMeter(nodeId, metadata, memoryReplicas, elastic, timer);
    context.spawn(RepairTrigger.create(nodeId, () -> {
      Repairer r = repairer;
      if (r != null) r.sweep();
    }), "repair-trigger");
    context.spawn(AdminAgent.create(new LocalFacts(nodeId, Cluster.get(system).selfMember().address().toString(),
        startedAtMillis, stores.all(), cache, () -> List.of(gpus.describe()), peers, repairBook, readDemand),
        AdminSettings.fromConfig(config)), "admin");
    return readDemand;
  }

  @Override
  public Edges edges() {
    GatewaySettings gateway = GatewaySettings.fromConfig(config);
    NodeOperator files = new NodeOperator(system, metadata, LocalNode.of(nodeId, stores, storeActors), cache,
        replication, readDemand, OperatorSettings.fromConfig(config));
    Checkpoints checkpoints = new Checkpoints(system, files);
    startAuth();
    S3Settings s3 = S3Settings.fromConfig(config);
    Optional<S3Keys> s3Keys = s3.enabled() ? Optional.of(new S3Keys(secret.key())) : Optional.empty();
    HttpApi api = new HttpApi(system, files, checkpoints, gateway, status, tokens, Optional.of(drains),
        Optional.of(new AdminViews(system, metadata, AdminSettings.fromConfig(config))), s3Keys);
    GrpcSettings grpcSettings = GrpcSettings.fromConfig(config);
    CompletionStage<ServerBinding> grpc = GrpcGateway.bind(system, files, checkpoints, gpus,
        new DirectGpuReads(gpus.fileReads()), Hints.of(files), tokens, LocalChannels.create(system, files, gpus),
        grpcSettings.host(), grpcSettings.port());
    FrontSettings front = FrontSettings.fromConfig(config);
    // With the front door, it takes the public address and the full server listens on loopback behind it.
    CompletionStage<ServerBinding> http = front.enabled()
        ? Http.get(system).newServerAt("127.0.0.1", 0).bind(api::handle)
        : Http.get(system).newServerAt(gateway.httpHost(), gateway.httpPort()).bind(api::handle);
    CompletionStage<Optional<FrontServer>> frontDoor = front.enabled()
        ? http.thenApply(b -> Optional.of(startFrontDoor(front, new FileDirectReads(files, status, tokens), b)))
        : CompletableFuture.completedFuture(Optional.empty());
    http.whenComplete((b, e) -> {
      if (e == null) httpBinding.complete(b);
      else httpBinding.completeExceptionally(e);
    });
    CompletionStage<ServerBinding> metrics = MetricsEndpoint.bind(system, MetricsSettings.fromConfig(config),
        Path.of(config.getString("tensorfs.node.data-dir")));
    CompletionStage<Optional<S3Server>> s3Server = s3Keys.isPresent()
        ? S3Server.start(system, files, status, tokens, s3Keys.get(), s3, gateway, front).thenApply(Optional::of)
        : CompletableFuture.completedFuture(Optional.empty());
    s3Server.whenComplete((server, e) -> {
      if (e != null) log.error("node {} cannot serve S3 on {}:{}", nodeId, s3.host(), s3.port(), e);
      else server.ifPresent(x -> log.info("node {} S3 API listening on s3={}:{}", nodeId,
          x.localAddress().getHostString(), x.localAddress().getPort()));
    });
    logListening(gateway, grpc, http, frontDoor, metrics);
    return new NodeEdges(http, grpc, frontDoor, metrics, s3Server);
  }

  @Override
  public List<StartStep> startSteps() {
    return List.of(
        StartStep.retried("metadata schema", this::createSchema),
        StartStep.retried("cluster", this::clusterUp),
        StartStep.retried("the other nodes", this::peersHeard),
        StartStep.retried("metadata store", this::metadataAnswers),
        StartStep.retried("drain state", this::drainState),
        StartStep.retried("tokens", this::loadTokens),
        StartStep.once("store reconciliation", this::reconcileStores));
  }

  @Override
  public AutoCloseable repairs(ScheduledExecutorService timer) {
    Repairer sweeps = new Repairer(peers, replication, metadata, stores.all(), corruptReplicas,
        Repairer.Settings.from(config), timer, repairBook);
    DrainWorker drain = new DrainWorker(system, drains, peers, sweeps::sweep,
        () -> peerDirectory.tell(PeerDirectory.DrainChanged.INSTANCE), DrainSettings.from(config), timer);
    sweeps.onSweep(drain::swept);
    sweeps.start();
    repairer = sweeps;
    drain.start();
    return () -> {
      drain.close();
      sweeps.close();
    };
  }

  @Override
  public AutoCloseable scrubber(ScheduledExecutorService timer) {
    return new Scrubber(stores.all(), ScrubSettings.fromConfig(config), timer).start();
  }

  /**
   * The node's tokens, reloaded each second from the metadata store, and the admin token's file: read, or
   * written with a fresh token (owner-only) when absent; its token is registered by a start step.
   */
  private void startAuth() {
    AuthSettings auth = AuthSettings.from(config);
    tokens = Tokens.of(system, auth);
    org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
        org.apache.pekko.actor.CoordinatedShutdown.PhaseServiceUnbind(), "tensorfs-tokens", () -> {
          tokens.close();
          return CompletableFuture.completedFuture(Done.done());
        });
    if (!auth.enabled()) log.warn("node {}: authentication is OFF (tensorfs.auth.enabled = false): every request acts as admin", nodeId);
    adminTokenFile = auth.adminTokenFile().orElse(null);
    if (adminTokenFile == null) return;
    try {
      adminToken = AdminTokenFile.readOrCreate(adminTokenFile, new java.security.SecureRandom());
    } catch (IOException e) {
      throw new UncheckedIOException("admin token file " + adminTokenFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Once the metadata schema exists: registers the admin token (idempotent), loads every token, and from
   * then on reloads them each {@code tensorfs.auth.refresh-interval}.
   */
  private CompletionStage<Done> loadTokens() {
    CompletionStage<?> registered = adminToken == null ? CompletableFuture.completedFuture(null)
        : tokens.registerAdmin(adminToken, "admin token of " + adminTokenFile).thenApply(r -> {
          if (r.revoked()) {
            log.warn("node {}: the admin token in {} (id {}) is revoked; delete the file and restart a node for a new one",
                nodeId, adminTokenFile, r.id());
          } else {
            log.info("node {}: admin token {} of {} is registered", nodeId, r.id(), adminTokenFile);
          }
          return r;
        });
    return registered.thenCompose(r -> tokens.reload()).thenApply(v -> {
      tokens.reloadEvery(system);
      return Done.done();
    });
  }

  /** A store found a corrupt replica: marked and re-created once the metadata is up (before, only logged). */
  private void replicaCorrupt(CorruptReplica report) {
    CorruptReplicas handler = corruptReplicas;
    if (handler != null) {
      handler.found(report);
    } else {
      log.warn("node {}: replica of {} on store {} is corrupt ({}), found before the metadata was up", nodeId,
          report.chunk(), report.storeId(), report.reason());
    }
  }

  /**
   * Joins itself when no seeds are given (the one-machine default); otherwise Pekko joins the seeds, and a
   * node rejoining as the first seed says how long it looks for them. Marks the data directory once Up.
   */
  private void joinCluster() {
    Cluster cluster = Cluster.get(system);
    if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else if (Rejoin.rejoinsAsFirstSeed(config)) {
      log.info("node {} was a member before and is the first seed: it looks for the running cluster for up to {}"
          + " before founding one", nodeId, config.getDuration("pekko.cluster.seed-node-timeout"));
    }
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> {
      try {
        Rejoin.remember(config);
      } catch (IOException e) {
        log.warn("node {}: cannot mark its data directory as a cluster member's: {}", nodeId, e.toString());
      }
    });
  }

  private PagePool allocatePool(CacheSettings cacheSettings) {
    long t0 = System.nanoTime();
    PagePool pool = PagePool.allocate(cacheSettings.poolSettings());
    log.info("node {} cache: {} MiB in {} pages of {} MiB, memory {}, taken in {} ms", nodeId,
        pool.capacityBytes() >> 20, pool.pageCount(), pool.pageBytes() >> 20, pool.memoryKind(),
        (System.nanoTime() - t0) / 1_000_000);
    return pool;
  }

  /**
   * A write-back chunk dropped from memory before it reached its disk: the metadata marks its replica
   * missing, so readers get a clean miss.
   */
  private void lostBeforeFlush(ChunkId chunk) {
    log.warn("node {}: kvcache chunk {} dropped from memory before its flush; it is lost", nodeId, chunk);
    for (ChunkStore s : stores.all()) metadata.reportMissing(chunk, s.id());
  }

  private static FrontServer startFrontDoor(FrontSettings front, FileDirectReads reads, ServerBinding upstream) {
    try {
      return FrontServer.start("http", front, reads, upstream.localAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void logListening(GatewaySettings gateway, CompletionStage<ServerBinding> grpc,
      CompletionStage<ServerBinding> http, CompletionStage<Optional<FrontServer>> frontDoor,
      CompletionStage<ServerBinding> metrics) {
    metrics.whenComplete((b, e) -> {
      if (e != null) log.error("node {} cannot serve metrics", nodeId, e);
      else if (b != null) log.info("node {} metrics at http://{}:{}/metrics", nodeId, b.localAddress().getHostString(),
          b.localAddress().getPort());
    });
    grpc.thenAccept(b -> log.info("node {} gRPC listening on grpc={}:{}", nodeId, b.localAddress().getHostString(),
        b.localAddress().getPort()));
    http.thenCombine(frontDoor, (b, f) -> {
      var at = f.map(FrontServer::localAddress).orElse(b.localAddress());
      log.info("node {} gateway listening on http://{}:{}{}", nodeId, at.getHostString(), at.getPort(),
          f.isPresent() ? " (file reads from cache pages; the rest relayed to port " + b.localAddress().getPort() + ")"
              : "");
      return at;
    }).exceptionally(e -> {
      log.error("node {} cannot listen on {}:{}", nodeId, gateway.httpHost(), gateway.httpPort(), e);
      return null;
    });
  }

  /** Directories keep their names in the metadata keyspace when the journal is Cassandra's. */
  private void registerDirectoryStore() {
    if (!MetadataSchema.inCassandra(config)) return; // tensorfs.sharding.directories.store must then be memory
    if (!DirectorySettings.from(config).store().equals(DirectorySettings.CASSANDRA)) return;
    DirectoryStores.get(system).register(new CassandraDirectoryStore(
        CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra").underlying(),
        MetadataSchema.directoryTable(config)));
  }

  private CompletionStage<Done> createSchema() {
    if (!MetadataSchema.inCassandra(config)) return CompletableFuture.completedFuture(Done.done());
    return MetadataSchema.create(system, settings.schemaStatementTimeout()).thenApply(x -> Done.done());
  }

  private CompletionStage<Done> clusterUp() {
    return Cluster.get(system).selfMember().status() == MemberStatus.up()
        ? CompletableFuture.completedFuture(Done.done())
        : CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, "cluster not up yet"));
  }

  /**
   * Until the peer directory has heard from every other node that is up and reachable, placement here does
   * not know their room: a write right after a (re)start, through a drained node above all, would find none.
   * After {@code tensorfs.node.peers-wait} the node goes on with what it heard, and says whom it did not.
   */
  private CompletionStage<Done> peersHeard() {
    if (peersWaitSince == 0) peersWaitSince = System.nanoTime();
    return AskPattern.<PeerDirectory.Command, Set<Address>>ask(peerDirectory, PeerDirectory.Unintroduced::new,
        Duration.ofSeconds(5), system.scheduler()).thenApply(missing -> {
          if (missing.isEmpty()) return Done.done();
          if (System.nanoTime() - peersWaitSince > settings.peersWait().toNanos()) {
            log.warn("node {}: no word from {} after {}; ready without them (they are placed on once they answer)",
                nodeId, missing, settings.peersWait());
            return Done.done();
          }
          throw new TfsException(ErrorCode.UNAVAILABLE, "not heard from " + missing + " yet");
        });
  }

  /** Until the journal answers (Cassandra may still be starting), the probe times out. */
  private CompletionStage<Done> metadataAnswers() {
    return metadata.stat(PROBE).handle((v, e) -> {
      if (e == null || TfsException.codeOf(e) == ErrorCode.NOT_FOUND) return Done.done();
      throw new TfsException(ErrorCode.UNAVAILABLE, "metadata store: " + e.getMessage(), e);
    });
  }

  /** A node drained before it (re)started takes no new replica from its first request on. */
  private CompletionStage<Done> drainState() {
    return drains.status(nodeId).thenApply(d -> {
      if (d.state().drains()) {
        peers.adminDrain(true);
        peerDirectory.tell(PeerDirectory.DrainChanged.INSTANCE);
        log.info("node {} starts drained ({}): it takes no new replicas", nodeId, d.state().wire());
      }
      return Done.done();
    });
  }

  private CompletionStage<Done> reconcileStores() {
    List<CompletableFuture<ReconcileReport>> all = new ArrayList<>();
    for (var e : storeActors.entrySet()) {
      CompletionStage<ReconcileReport> report = AskPattern.ask(e.getValue(),
          (ActorRef<ReconcileReport> replyTo) -> new StoreActor.Reconcile(metadata, replyTo),
          settings.reconcileTimeout(), system.scheduler());
      all.add(report.thenApply(r -> {
        log.info("store {} reconciled: {} file versions kept, {} orphans removed, {} replicas missing{}", e.getKey(),
            r.filesKept(), r.orphansRemoved(), r.missing().size(), r.missing().isEmpty() ? "" : " " + r.missing());
        return r;
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> Done.done());
  }
}
