package io.tensorfs.sharding.replication;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.sharding.ChunkStatus;
import io.tensorfs.sharding.ClusterTestConfig;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.sharding.elastic.ReadDemandMeter;
import io.tensorfs.sharding.operator.LocalNode;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.OperatorSettings;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import io.tensorfs.store.cache.CacheSettings;
import io.tensorfs.store.cache.ChunkCache;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acknowledgment rule of durable writes, through the node's operator: this node ("node-a", one store on
 * disk) heads each chunk's chain, and two peers ("node-b", "node-c") are reached over a transport in memory
 * that a test tells to store the bytes, to lose the end of the chain, or to be gone. A write is acknowledged
 * only when min-insync distinct nodes hold every chunk durably (capped at the nodes that can hold replicas);
 * otherwise it fails with NOT_ENOUGH_REPLICAS, nothing is visible and this node's bytes of it are gone.
 */
class MinInsyncWriteTest {
  private static final String SELF = "node-a";
  private static final int CHUNK_BYTES = 1 << 20;
  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;

  @TempDir Path storeDir;

  @BeforeAll
  static void startCluster() {
    Config config = ConfigFactory.parseString("""
            tensorfs.sharding.ask-timeout = 5s
            tensorfs.operator.write-batch = 256 KiB
            """)
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ClusterTestConfig.of(SELF));
    testKit = ActorTestKit.create("mininsync", config);
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    metadata = new ShardedMetadata(testKit.system(), System.currentTimeMillis());
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  /** What the peers do with a push. */
  private enum Peer {
    /** Every node of the rest of the chain stores the bytes durably. */
    STORE_ALL,
    /** The first peer stores them, but the chain past it dropped out (its node died). */
    LOSE_TAIL,
    /** The peer is gone: the push fails. */
    GONE
  }

  /** Peers in memory: acknowledges a push as its behaviour says, once every byte arrived; counts pushes. */
  private static final class ChainWire implements Transport {
    volatile Peer behaviour = Peer.STORE_ALL;
    /** Pushes before this many succeed whatever the behaviour; later ones follow it. */
    volatile int healthyPushes;
    final AtomicInteger pushes = new AtomicInteger();

    @Override
    public String kind() {
      return "test";
    }

    @Override
    public String localEndpoint() {
      return SELF;
    }

    @Override
    public Source<ByteString, NotUsed> fetch(String peer, ChunkId chunk, long offset, long length) {
      throw new UnsupportedOperationException("writes only");
    }

    @Override
    public java.util.concurrent.CompletionStage<io.tensorfs.transport.Fetched> fetchInto(String peer, ChunkId chunk,
        long offset, java.nio.ByteBuffer target) {
      throw new UnsupportedOperationException("writes only");
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request) {
      Peer now = pushes.incrementAndGet() <= healthyPushes ? Peer.STORE_ALL : behaviour;
      if (now == Peer.GONE) {
        return Sink.<ByteString>cancelled().mapMaterializedValue(n ->
            CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, peer + " is gone")));
      }
      List<ReplicaLocation> rest = Hops.decode(request.context());
      List<ReplicaLocation> durable = now == Peer.STORE_ALL ? rest : rest.subList(0, 1);
      return Sink.<long[], ByteString>fold(new long[2], (acc, b) -> {
            acc[1] = Crc32c.combine((int) acc[1], Crc32c.of(b.asByteBuffer()), b.size()) & 0xffffffffL;
            acc[0] += b.size();
            return acc;
          })
          .mapMaterializedValue(done -> done.thenApply(acc ->
              new PushAck(request.chunk(), acc[0], (int) acc[1], Hops.encode(durable))));
    }

    @Override
    public void close() {}
  }

  private record Node(NodeOperator files, Peers peers, ChainWire wire, Path chunks) {}

  /** This node with {@code peers} reachable, each with one roomy store, and {@code replicaNodes} counted. */
  private Node node(int replicaNodes, String... peerIds) {
    ChainWire wire = new ChainWire();
    Peers peers = new Peers(SELF);
    peers.connect(wire);
    Map<String, Peers.PeerInfo> live = new HashMap<>();
    for (String p : peerIds) {
      live.put(p, new Peers.PeerInfo(p, p, List.of(new StoreRoom("d0", Long.MAX_VALUE / 4)), false));
    }
    peers.update(live);
    peers.replicaNodes(replicaNodes);
    return new Node(operator(peers, List.of(storeDir)), peers, wire, storeDir.resolve("chunks"));
  }

  /** The node's operator over stores in {@code dirs}. */
  private static NodeOperator operator(Peers peers, List<Path> dirs) {
    StoreSettings storeSettings = StoreSettings.defaults(dirs).withReservedBytes(0);
    Stores stores = new Stores(storeSettings, testKit.system());
    Map<String, ActorRef<StoreActor.Command>> actors = new LinkedHashMap<>();
    for (ChunkStore s : stores.all()) {
      actors.put(s.id(), testKit.spawn(StoreActor.create(s, stores.leases(), storeSettings)));
    }
    CacheSettings cacheSettings = CacheSettings.small(8);
    ChunkCache cache = new ChunkCache(PagePool.allocate(cacheSettings.poolSettings()), cacheSettings, stores::byId,
        c -> {});
    Replication replication = new Replication(peers, stores::byId, Materializer.matFromSystem(testKit.system()));
    return new NodeOperator(testKit.system(), metadata, LocalNode.of(SELF, stores, actors), cache, replication,
        ReadDemandMeter.OFF, OperatorSettings.fromConfig(testKit.system().settings().config()));
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static CompletionStage<FileVersion> put(Node node, String path, String policy, byte[] body) {
    Source<ByteString, NotUsed> source = Source.range(0, (body.length - 1) / 65536)
        .map(i -> ByteString.fromArray(body, i * 65536, Math.min(65536, body.length - i * 65536)));
    return node.files().put(TfsPath.parse(path), Policy.parse(policy), CHUNK_BYTES, Precondition.NONE,
        OptionalLong.of(body.length), Long.MAX_VALUE, source);
  }

  private static TfsException failure(CompletionStage<?> stage) {
    return assertInstanceOf(TfsException.class, Awaits.failure(stage), "fails with a TfsException");
  }

  private static List<ChunkStatus> chunks(Node node, String path) {
    return await(node.files().statWithChunks(TfsPath.parse(path))).second();
  }

  private static Set<String> cleanNodes(ChunkStatus s) {
    return s.clean().stream().map(ReplicaLocation::node).collect(Collectors.toSet());
  }

  /** The file versions with bytes in this node's store. */
  private static Set<String> versionsOnDisk(Node node) throws IOException {
    if (!Files.exists(node.chunks())) return Set.of();
    try (Stream<Path> s = Files.list(node.chunks())) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  /**
   * The store holds the versions it held before: a write refused while its body streams in is answered
   * at once and its bytes removed behind the answer, so this waits for that (at most 10 s).
   */
  private static void assertRemoved(Node node, Set<String> before, String what) throws IOException {
    try {
      Awaits.until(() -> before.equals(onDisk(node)), Duration.ofSeconds(10), what);
    } catch (AssertionError timedOut) {
      // the comparison below names what is left
    }
    assertEquals(before, versionsOnDisk(node), what);
  }

  private static Set<String> onDisk(Node node) {
    try {
      return versionsOnDisk(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertNotVisible(Node node, String path) {
    assertEquals(ErrorCode.NOT_FOUND, failure(node.files().stat(TfsPath.parse(path))).code(), path + " is not visible");
  }

  @Test
  void shouldAcknowledgeWhenEveryReplicaIsDurable() {
    Node node = node(3, "node-b", "node-c");
    byte[] body = bytes(2 * CHUNK_BYTES + 123, 1);

    FileVersion v = await(put(node, "/mi/all", "persistent(3,3)", body));

    assertEquals(Policy.parse("persistent(3,3)"), v.policy());
    for (ChunkStatus s : chunks(node, "/mi/all")) {
      assertEquals(Set.of(SELF, "node-b", "node-c"), cleanNodes(s), "3 durable replicas committed: " + s);
      assertTrue(!s.underReplicated());
    }
    assertEquals(3, node.files().minInsync(v.policy()));
  }

  @Test
  void shouldAcknowledgeUnderReplicatedWhenMinInsyncIsReachedButNotEveryReplica() {
    Node node = node(3, "node-b", "node-c");
    node.wire().behaviour = Peer.LOSE_TAIL;

    await(put(node, "/mi/two", "persistent", bytes(CHUNK_BYTES + 5, 2)));

    for (ChunkStatus s : chunks(node, "/mi/two")) {
      assertEquals(2, cleanNodes(s).size(), "committed on the two durable replicas: " + s);
      assertTrue(cleanNodes(s).contains(SELF));
      assertTrue(s.underReplicated(), "fewer than r = 3 replicas: the repairer's to mend");
    }
  }

  @Test
  void shouldFailWithNotEnoughReplicasAndLeaveNothingWhenFewerThanMinInsyncAreDurable() throws IOException {
    Node node = node(3, "node-b", "node-c");
    node.wire().behaviour = Peer.LOSE_TAIL;
    Set<String> before = versionsOnDisk(node);

    TfsException e = failure(put(node, "/mi/three", "persistent(3,3)", bytes(CHUNK_BYTES / 2, 3)));

    assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, e.code());
    assertTrue(e.getMessage().contains("chunk 0 of /mi/three reached 2 of the 3 durable replicas it needs"), e.getMessage());
    assertTrue(e.getMessage().contains("persistent(3,3)"), e.getMessage());
    assertNotVisible(node, "/mi/three");
    assertRemoved(node, before, "the write's bytes were removed from this node's store");
  }

  @Test
  void shouldFailTheWholeWriteWhenALaterChunkFallsShort() throws IOException {
    Node node = node(3, "node-b", "node-c");
    await(put(node, "/mi/later", "persistent", bytes(CHUNK_BYTES, 4)));
    node.wire().pushes.set(0);
    node.wire().healthyPushes = 2; // chunks 0 and 1 reach every replica
    node.wire().behaviour = Peer.GONE; // chunk 2 reaches this node only
    Set<String> before = versionsOnDisk(node);

    TfsException e = failure(put(node, "/mi/later", "persistent", bytes(4 * CHUNK_BYTES, 5)));

    assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, e.code());
    assertTrue(e.getMessage().contains("reached 1 of the 2 durable replicas it needs"), e.getMessage());
    assertEquals(1, await(node.files().stat(TfsPath.parse("/mi/later"))).version(), "the version before stays");
    assertRemoved(node, before, "no chunk of the failed write is left on this node");
  }

  @Test
  void shouldFailBeforeWritingWhenTheNodesThatCanHoldReplicasAreUnreachable() throws IOException {
    // A cluster of three whose two other members just died: they are unreachable, not yet removed.
    Node node = node(3);
    Set<String> before = versionsOnDisk(node);

    TfsException e = failure(put(node, "/mi/alone-of-three", "persistent", bytes(CHUNK_BYTES, 6)));

    assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, e.code());
    assertTrue(e.getMessage().contains("reached 1 of the 2 durable replicas it needs"), e.getMessage());
    assertNotVisible(node, "/mi/alone-of-three");
    assertRemoved(node, before, "nothing was written");
    assertEquals(0, node.wire().pushes.get());
  }

  @Test
  void shouldAcknowledgeWithOneReplicaWhenTheClusterHasOneNode() {
    Node node = node(1);

    FileVersion v = await(put(node, "/mi/one-node", "persistent(3,3)", bytes(CHUNK_BYTES + 9, 7)));

    assertEquals(1, node.files().minInsync(v.policy()), "min-insync capped at the one node");
    for (ChunkStatus s : chunks(node, "/mi/one-node")) {
      assertEquals(Set.of(SELF), cleanNodes(s));
      assertTrue(s.underReplicated(), "one of three replicas");
    }
  }

  @Test
  void shouldCountNodesNotReplicasWhenOneNodeHoldsSeveralStores(@TempDir Path d1, @TempDir Path d2) {
    // Three stores on this node take all three replicas while the two other members are unreachable.
    Peers peers = new Peers(SELF);
    peers.connect(new ChainWire());
    peers.replicaNodes(3);
    NodeOperator files = operator(peers, List.of(storeDir, d1, d2));

    TfsException e = failure(files.put(TfsPath.parse("/mi/stores"), Policy.PERSISTENT, CHUNK_BYTES, Precondition.NONE,
        OptionalLong.of(10), Long.MAX_VALUE, Source.single(ByteString.fromArray(bytes(10, 8)))));

    assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, e.code(), "three replicas on one node are one node: " + e.getMessage());
    assertTrue(e.getMessage().contains("reached 1 of the 2"), e.getMessage());
    assertEquals(ErrorCode.NOT_FOUND, failure(files.stat(TfsPath.parse("/mi/stores"))).code());
  }

  @Test
  void shouldAcknowledgeOnSeveralStoresOfTheOneNodeWhenTheClusterHasOneNode(@TempDir Path d1, @TempDir Path d2) {
    Peers peers = new Peers(SELF);
    peers.connect(new ChainWire());
    NodeOperator files = operator(peers, List.of(storeDir, d1, d2));

    await(files.put(TfsPath.parse("/mi/one-node-stores"), Policy.PERSISTENT, CHUNK_BYTES, Precondition.NONE,
        OptionalLong.of(10), Long.MAX_VALUE, Source.single(ByteString.fromArray(bytes(10, 9)))));

    ChunkStatus s = await(files.statWithChunks(TfsPath.parse("/mi/one-node-stores"))).second().get(0);
    assertEquals(3, s.clean().size(), "a replica on each store of the one node: " + s);
    assertTrue(!s.underReplicated());
  }
}
