package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.transport.ChunkService;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import io.tensorfs.transport.TransportSettings;
import io.tensorfs.transport.Transports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Two nodes sharing one cluster secret. A third node process given another secret never becomes a member,
 * and a replica pushed over the chunk transport (Aeron UDP, the default) by a process without the secret
 * replaces nothing and stores nothing.
 */
class NodeAuthIT {
  private static final int MIB = 1 << 20;
  private static final Pattern ENDPOINT = Pattern.compile("node node-1 transport \\S+ at (\\S+)");

  @Test
  void shouldKeepOutProcessesWithoutTheClusterSecret() throws Exception {
    // A media driver of this test's own: the host's shared one may belong to, and stop with, other clusters.
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.aeron.dir=/dev/shm/tensorfs-aeron-nodeauth-" + ProcessHandle.current().pid());
    try (LocalCluster cluster = new LocalCluster("nodeauth", 2, props).start()) {
      assertEquals(2, members(cluster.http(1)).size());
      byte[] a = SingleNodeIT.random(3 * MIB + 5, 41);
      assertEquals(201, cluster.http(1).put("/v1/files/auth/a", a).statusCode());
      JsonNode stat = cluster.awaitStat(1, "/auth/a", s -> LocalCluster.cleanNodes(s).get(0).contains("node-1"), Duration.ofSeconds(10));
      FileId file = new FileId(stat.get("fileId").asText());
      Path store = cluster.node(1).dataDir().resolve("store0/chunks");
      Map<String, String> before = digests(store.resolve(file.value()));
      assertFalse(before.isEmpty(), "node-1 holds a replica of /auth/a");

      // A process without the secret pushes other bytes as chunk 0 of that file, and a chunk of a new file.
      String endpoint = transportEndpoint(cluster.node(1));
      FileId forged = new FileId("f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0");
      pushWithoutTheSecret(endpoint, new ChunkId(file, 0), 3 * MIB + 5);
      pushWithoutTheSecret(endpoint, new ChunkId(forged, 0), MIB);
      assertEquals(before, digests(store.resolve(file.value())), "the replica's files are unchanged");
      for (int n = 1; n <= 2; n++) {
        Path other = cluster.node(n).dataDir().resolve("store0/chunks").resolve(forged.value());
        assertFalse(Files.exists(other), "node-" + n + " stored a pushed chunk: " + other);
      }
      assertArrayEquals(a, cluster.http(1).get("/v1/files/auth/a").body());

      // A third node with a secret of its own asks both members to let it join.
      Path otherCluster = RepoPaths.scratch("nodeauth-intruder");
      SharedCassandra.deleteTree(otherCluster);
      List<String> args = List.of("--seed", "127.0.0.1:" + cluster.node(1).clusterPort(), "--seed", "127.0.0.1:" + cluster.node(2).clusterPort());
      try (NodeProcess intruder = new NodeProcess("node-3", otherCluster.resolve("node-3"), SharedCassandra.get().contactPoint(),
          "it_nodeauth_intruder", props, NodeProcess.freePort(), args, List.of()).launch()) {
        assertTrue(awaitFile(otherCluster.resolve("cluster.secret")), "the third node made a secret of its own");
        assertFalse(ClusterSecret.load(otherCluster.resolve("cluster.secret"))
            .equals(ClusterSecret.load(cluster.node(1).dataDir().getParent().resolve("cluster.secret"))), "the third node has another secret");
        // Its join attempts reach the members and fail their TLS handshake; it is never a member meanwhile.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        boolean refused = false;
        while (System.nanoTime() - until < 0 && !(refused && members(cluster.http(1)).size() == 2)) {
          assertEquals(2, members(cluster.http(1)).size(), "members of node-1: " + members(cluster.http(1)));
          assertEquals(2, members(cluster.http(2)).size(), "members of node-2: " + members(cluster.http(2)));
          refused = handshakeRefused(intruder);
          TimeUnit.MILLISECONDS.sleep(500); // polling other processes' state
        }
        assertTrue(refused, "the third node's log shows no refused TLS handshake: " + intruder.logTail());
        // Well past the time a join takes (seconds), it is still outside.
        for (int i = 0; i < 20; i++) {
          List<String> m = members(cluster.http(1));
          assertEquals(2, m.size(), "members of node-1: " + m);
          assertTrue(m.stream().noneMatch(s -> s.contains(":" + intruder.clusterPort())), m.toString());
          TimeUnit.MILLISECONDS.sleep(500); // polling other processes' state
        }
        assertTrue(intruder.alive(), "the third node keeps trying, outside the cluster");
      }
      assertEquals(2, members(cluster.http(2)).size());
      assertArrayEquals(a, cluster.http(2).get("/v1/files/auth/a").body(), "the cluster still serves its files");
    }
  }

  private static List<String> members(TfsHttp http) throws IOException, InterruptedException {
    List<String> out = new ArrayList<>();
    for (JsonNode m : TfsHttp.json(http.get("/v1/health")).get("members")) out.add(m.asText());
    return out;
  }

  /** The third node's log names the TLS failure of its association with the members. */
  private static boolean handshakeRefused(NodeProcess node) throws IOException {
    Path log = node.dataDir().resolve("node.log");
    if (!Files.exists(log)) return false;
    String text = Files.readString(log);
    return text.contains("SSLHandshakeException") || text.contains("certificate_unknown") || text.contains("bad_certificate")
        || text.contains("PKIX path");
  }

  private static boolean awaitFile(Path file) throws InterruptedException {
    for (int i = 0; i < 100 && !Files.exists(file); i++) TimeUnit.MILLISECONDS.sleep(100); // the node creates it at start
    return Files.exists(file);
  }

  private static String transportEndpoint(NodeProcess node) throws IOException {
    Matcher m = ENDPOINT.matcher(Files.readString(node.dataDir().resolve("node.log")));
    String last = null;
    while (m.find()) last = m.group(1);
    if (last == null) throw new AssertionError("node-1 logged no transport endpoint");
    return last;
  }

  /** Every file under {@code dir} with the SHA-256 of its bytes. */
  private static Map<String, String> digests(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) return out;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        out.put(f.getFileName().toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
      }
    }
    return out;
  }

  /** Pushes {@code length} bytes as {@code chunk} from a transport of this JVM that holds a secret of its own. */
  private static void pushWithoutTheSecret(String endpoint, ChunkId chunk, long length) throws Exception {
    Path dir = RepoPaths.scratch("nodeauth-pusher-aeron");
    SharedCassandra.deleteTree(dir);
    TransportSettings settings = TransportSettings.from(ConfigFactory.parseString("tensorfs.transport { kind = aeron, idle-timeout = 3s, "
        + "connect-timeout = 3s, rdma.probe = off, aeron { mode = udp, embedded-driver = on, dir = \"" + dir + "\" } }")
        .withFallback(ConfigFactory.load()));
    // A plain local actor system: the classpath's node configuration would make it a cluster member that ends the JVM.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "nodeauth-pusher", ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off").withFallback(ConfigFactory.load()));
    Materializer materializer = Materializer.matFromSystem(system);
    try (Transport transport = Transports.start(settings, materializer, new NothingServed(), ClusterSecret.randomKey())) {
      PushRequest request = new PushRequest(chunk, TfsPath.parse("/auth/a"), true, length, null);
      byte[] block = new byte[MIB];
      java.util.Arrays.fill(block, (byte) 0x5A);
      CompletionStage<PushAck> ack = Source.repeat(ByteString.fromArrayUnsafe(block)).take((length + MIB - 1) / MIB)
          .via(cut(length)).runWith(transport.push(endpoint, request), materializer);
      try {
        ack.toCompletableFuture().get(30, TimeUnit.SECONDS);
        throw new AssertionError("a push without the cluster secret was acknowledged");
      } catch (ExecutionException e) {
        TfsException cause = assertInstanceOf(TfsException.class, e.getCause(), () -> "failed with " + e.getCause());
        assertEquals(ErrorCode.UNAVAILABLE, cause.code(), cause.getMessage());
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Cuts a stream to its first {@code length} bytes. */
  private static org.apache.pekko.stream.javadsl.Flow<ByteString, ByteString, NotUsed> cut(long length) {
    return org.apache.pekko.stream.javadsl.Flow.<ByteString>create().statefulMapConcat(() -> {
      long[] left = {length};
      return b -> {
        int n = (int) Math.min(left[0], b.length());
        left[0] -= n;
        return n == 0 ? List.of() : List.of(b.take(n));
      };
    });
  }

  /** The pusher serves nothing. */
  private static final class NothingServed implements ChunkService {
    @Override
    public Source<ByteString, NotUsed> read(ChunkId chunk, long offset, long length) {
      return Source.failed(new TfsException(ErrorCode.NOT_FOUND, "nothing here"));
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> write(PushRequest request) {
      return Sink.<ByteString>cancelled().mapMaterializedValue(n ->
          java.util.concurrent.CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST, "no pushes")));
    }
  }
}
