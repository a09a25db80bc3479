package io.tensorfs.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.sharding.ShardedMetadata;
import io.tensorfs.sharding.operator.LocalNode;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.OperatorSettings;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.StoreSettings;
import io.tensorfs.store.Stores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * A one-node tensorfs in this JVM for gRPC tests: a cluster of one on the in-memory journal, one
 * file store in a temporary directory, the file operations, and the gRPC gateway on a free port.
 */
public final class GrpcTestNode implements AutoCloseable {
  static final String NODE = "node-grpc";

  public final ActorTestKit testKit;
  public final NodeOperator files;
  final ServerBinding binding;
  private GrpcTestNode(ActorTestKit testKit, NodeOperator files, ServerBinding binding) {
    this.testKit = testKit;
    this.files = files;
    this.binding = binding;
  }

  static Config config(String extra) {
    return ConfigFactory.parseString(extra + """

            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.actor.warn-about-java-serializer-usage = off
            tensorfs.sharding.directories.store = memory
            tensorfs.node.id = %s
            tensorfs.sharding.ask-timeout = 5s
            tensorfs.gateway.chunk-size = 4 MiB
            tensorfs.operator.read-ahead-segments = 4
            tensorfs.operator.write-batch = 1 MiB
            """.formatted(NODE))
        .withFallback(PersistenceTestKitPlugin.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }

  /** With no GPU and no cache hints: for tests of the other edges over the same node. */
  public static GrpcTestNode start(Path storeDir) throws Exception {
    return start(storeDir, new FakeGpus(), Hints.unsupported(), "");
  }

  static GrpcTestNode start(Path storeDir, DeviceCopies gpus, Hints hints, String extraConfig) throws Exception {
    return start(storeDir, gpus, null, hints, extraConfig);
  }

  /** With preadv's FLAG_CUFILE reading through {@code fileReads} over this node's stores; null: none. */
  static GrpcTestNode start(Path storeDir, DeviceCopies gpus, io.tensorfs.gpu.DeviceFileReads fileReads, Hints hints,
      String extraConfig) throws Exception {
    ActorTestKit testKit = ActorTestKit.create("grpc", config(extraConfig));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    StoreSettings storeSettings = StoreSettings.defaults(List.of(storeDir)).withReservedBytes(0);
    Stores stores = new Stores(storeSettings, testKit.system());
    Map<String, ActorRef<StoreActor.Command>> actors = new LinkedHashMap<>();
    for (ChunkStore s : stores.all()) {
      actors.put(s.id(), testKit.spawn(StoreActor.create(s, stores.leases(), storeSettings), "store-" + s.id()));
    }
    ShardedMetadata metadata = new ShardedMetadata(testKit.system(), System.currentTimeMillis());
    io.tensorfs.store.cache.CacheSettings cacheSettings = io.tensorfs.store.cache.CacheSettings.small(16);
    io.tensorfs.store.cache.ChunkCache cache = new io.tensorfs.store.cache.ChunkCache(
        io.tensorfs.core.memory.PagePool.allocate(cacheSettings.poolSettings()), cacheSettings, stores::byId, c -> {});
    NodeOperator files = new NodeOperator(testKit.system(), metadata, LocalNode.of(NODE, stores, actors), cache,
        OperatorSettings.fromConfig(testKit.system().settings().config()));
    DirectGpuReads direct = fileReads == null ? DirectGpuReads.none("no cuFile in this test")
        : new DirectGpuReads(fileReads);
    ServerBinding binding = GrpcGateway.bind(testKit.system(), files, gpus, direct, hints, "127.0.0.1", 0)
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    // The first metadata call creates the journal's tables; wait until it answers.
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), () -> {
      files.list(TfsPath.ROOT).toCompletableFuture().get(5, TimeUnit.SECONDS);
      return null;
    });
    return new GrpcTestNode(testKit, files, binding);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  @Override
  public void close() throws Exception {
    binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }
}
