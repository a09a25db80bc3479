package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NetworkNamespaces;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.harness.TcpRelay;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three nodes, each in its own network namespace with its own address on a bridge, as three hosts on one
 * subnet: chunk bytes between them go over Aeron UDP, each node with its own media driver (so IPC is
 * impossible). Cassandra stays on the host's loopback, reached through a relay on the bridge. The last
 * test kills a node that is sending a read's bytes, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetnsClusterIT {
  private static final int MIB = 1 << 20;
  private static final int NODES = 3;
  /** What each holder may send while the fail-over test reads: 8 MB/s, so the read lasts seconds. */
  private static final long HOLDER_BITS_PER_SECOND = 64_000_000L;
  private static final Pattern TRANSPORT_LINE =
      Pattern.compile("transport (\\S+) at aeron-udp://([0-9.]+):(\\d+)\\?driver=([0-9a-f-]+)");

  private static NetworkNamespaces namespaces;
  private static TcpRelay cassandraRelay;
  private static LocalCluster cluster;
  private static final List<Path> driverDirs = new ArrayList<>();

  @BeforeAll
  static void startHosts() throws Exception {
    try {
      namespaces = NetworkNamespaces.create(NODES);
    } catch (IOException e) {
      Assumptions.assumeTrue(false, "network namespaces are not available here (needs root and ip netns): "
          + e.getMessage());
    }
    cassandraRelay = TcpRelay.start(namespaces.hostAddress(), SharedCassandra.get().cqlAddress());
    List<LocalCluster.Host> hosts = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      Path driverDir = Path.of("/dev/shm", "tensorfs-aeron-" + namespaces.name(i));
      driverDirs.add(driverDir);
      hosts.add(new LocalCluster.Host(namespaces.address(i), namespaces.launcher(i), List.of(
          "-Dtensorfs.transport.aeron.embedded-driver=on",
          "-Dtensorfs.transport.aeron.dir=" + driverDir)));
    }
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.kind=aeron");
    props.add("-Dtensorfs.transport.aeron.mode=udp");
    props.add("-Dtensorfs.sharding.drain.poll-interval=500ms");
    cluster = new LocalCluster("netns", props, hosts, cassandraRelay.address());
    cluster.start(); // assigned first, so that the nodes of a failed start are stopped too
  }

  @AfterAll
  static void removeHosts() throws Exception {
    try {
      if (cluster != null) cluster.close();
    } finally {
      try {
        if (cassandraRelay != null) cassandraRelay.close();
      } finally {
        if (namespaces != null) namespaces.close();
        for (Path d : driverDirs) SharedCassandra.deleteTree(d);
      }
    }
  }

  @Test
  @Order(1)
  void shouldReplicateAndReadAcrossNamespacesWhenNodesTalkAeronUdp() throws Exception {
    // Each node runs the UDP transport on its own namespace's address, with a media driver of its own.
    Set<String> drivers = new HashSet<>();
    for (int n = 1; n <= NODES; n++) {
      Matcher line = transportLine(n);
      assertEquals("aeron-udp", line.group(1));
      assertEquals(namespaces.address(n - 1), line.group(2), "node-" + n + " advertises its namespace's address");
      drivers.add(line.group(4));
    }
    assertEquals(NODES, drivers.size(), "a media driver per node: nothing can go over IPC");

    // The nodes find each other's transport a moment after the cluster is up: until a small file is
    // chained to every node, a write would be placed on fewer and repaired later.
    awaitChaining(Duration.ofSeconds(60));

    // A persistent file written through node-1 is chained to node-2 and node-3: a replica of every chunk on each.
    byte[] p = SingleNodeIT.random(22 * MIB + 321, 41);
    assertEquals(201, cluster.http(1).put("/v1/files/n/p", p).statusCode());
    JsonNode stat = cluster.awaitStat(1, "/n/p", s -> true, Duration.ofSeconds(10));
    for (Set<String> nodes : LocalCluster.cleanNodes(stat)) {
      assertEquals(Set.of("node-1", "node-2", "node-3"), nodes, "a CLEAN replica on each node: " + stat);
    }
    assertArrayEquals(p, cluster.http(2).get("/v1/files/n/p").body(), "read back through node-2");

    // A kvcache block stays on node-1 alone: node-2 holds none of it, so its read crosses the namespaces.
    byte[] kv = SingleNodeIT.random(9 * MIB + 17, 42);
    assertEquals(201, cluster.http(1).put("/v1/files/n/kv?policy=kvcache", kv).statusCode());
    JsonNode kvStat = cluster.awaitStat(2, "/n/kv", s -> true, Duration.ofSeconds(10));
    List<Set<String>> kvNodes = LocalCluster.cleanNodes(kvStat);
    assertTrue(kvNodes.size() >= 3, "several chunks: " + kvStat);
    for (Set<String> nodes : kvNodes) assertEquals(Set.of("node-1"), nodes, "only node-1 holds it: " + kvStat);
    assertArrayEquals(kv, cluster.http(2).get("/v1/files/n/kv").body(), "node-2 read node-1's replica over UDP");
    assertArrayEquals(p, cluster.http(1).get("/v1/files/n/p").body(), "and node-1 still reads its own");
  }

  @Test
  @Order(2)
  void shouldReadByteExactWhenAHolderDiesWhileSendingOverAeronUdp() throws Exception {
    // Replicas on node-2 and node-3 only: node-1 is drained while the file is written through node-2, so
    // every chunk's second replica goes to node-3; undrained after, node-1 holds nothing of it.
    assertEquals(202, admin(1, "POST", "/v1/admin/nodes/node-1/drain"));
    awaitPlacementAvoiding("node-1", Duration.ofSeconds(30));
    byte[] f = SingleNodeIT.random(20 * MIB + 4321, 43);
    assertEquals(201, cluster.http(2).put("/v1/files/m/f?policy=persistent(2,2)", f).statusCode());
    JsonNode stat = cluster.awaitStat(2, "/m/f", s -> true, Duration.ofSeconds(10));
    assertTrue(LocalCluster.cleanNodes(stat).size() >= 5, "several chunks: " + stat);
    for (Set<String> nodes : LocalCluster.cleanNodes(stat)) {
      assertEquals(Set.of("node-2", "node-3"), nodes, "the two holders, not the reader: " + stat);
    }
    assertEquals(200, admin(1, "DELETE", "/v1/admin/nodes/node-1/drain"));

    // Each holder sends at most 8 MB/s, so node-1's cold read of the file takes seconds, and whichever holder
    // it is reading from is in the middle of a transfer whenever we look.
    namespaces.limit(1, HOLDER_BITS_PER_SECOND);
    namespaces.limit(2, HOLDER_BITS_PER_SECOND);
    try {
      TfsHttp http = cluster.http(1);
      long[] start = {namespaces.sentBytes(1), namespaces.sentBytes(2)};
      HttpResponse<InputStream> r = http.client().send(
          HttpRequest.newBuilder(URI.create(http.base() + "/v1/files/m/f")).timeout(Duration.ofMinutes(3)).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      ByteArrayOutputStream got = new ByteArrayOutputStream(f.length);
      AtomicLong received = new AtomicLong();
      CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = r.body()) {
          for (int n; (n = in.read(buf)) >= 0; received.addAndGet(n)) got.write(buf, 0, n);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });

      // A quarter of the file sent by the holders (node-1 loads chunks ahead of its client, so the client's
      // count trails the holders'), the holder sending the most right now is killed: it dies mid-transfer.
      // A window in which neither sends (Aeron resending a lost datagram on the shaped link) is followed by
      // the next, for a few.
      awaitSent(start, f.length / 4, Duration.ofSeconds(60));
      // From here each holder sends at most a quarter as fast: the three quarters left then take
      // about 4 s, longer than the windows below may last (10 of 300 ms), so the read is still running at the kill.
      // At full speed they took about 1 s: a run whose holders paused through several windows was killed
      // after node-1 already had every byte.
      namespaces.limit(1, HOLDER_BITS_PER_SECOND / 4);
      namespaces.limit(2, HOLDER_BITS_PER_SECOND / 4);
      long[] sent = {0, 0};
      for (int window = 0; window < 10 && Math.max(sent[0], sent[1]) < 256 << 10; window++) {
        long[] before = {namespaces.sentBytes(1), namespaces.sentBytes(2)};
        TimeUnit.MILLISECONDS.sleep(300); // a window to see which holder is sending
        sent = new long[] {namespaces.sentBytes(1) - before[0], namespaces.sentBytes(2) - before[1]};
      }
      int victim = sent[0] >= sent[1] ? 2 : 3;
      cluster.node(victim).kill();
      long atKill = received.get();
      namespaces.unlimit(victim == 2 ? 2 : 1); // the survivor sends the rest at full speed
      long victimSent = Math.max(sent[0], sent[1]);
      assertTrue(victimSent >= 256 << 10, "node-" + victim + " was sending when it was killed: " + victimSent
          + " bytes in 300 ms");
      assertTrue(atKill < f.length, "the read was still running when node-" + victim + " was killed");

      reading.get(3, TimeUnit.MINUTES);
      System.out.printf("node-%d killed after it sent %d bytes in the last 300 ms, the client holding %d of %d%n",
          victim, victimSent, atKill, f.length);
      assertArrayEquals(f, got.toByteArray(), "byte-exact across the loss of node-" + victim + " mid-transfer");
    } finally {
      namespaces.unlimit(1);
      namespaces.unlimit(2);
    }
  }

  private static Matcher transportLine(int node) throws IOException {
    String log = Files.readString(cluster.node(node).dataDir().resolve("node.log"));
    Matcher m = TRANSPORT_LINE.matcher(log);
    assertTrue(m.find(), "node-" + node + " logged no aeron-udp transport: " + cluster.node(node).logTail());
    return m;
  }

  /** Writes small probe files through node-1 until one is replicated on every node as it is written. */
  private void awaitChaining(Duration deadline) throws Exception {
    Set<String> all = new HashSet<>();
    for (int n = 1; n <= NODES; n++) all.add("node-" + n);
    long until = System.nanoTime() + deadline.toNanos();
    for (int i = 0; System.nanoTime() < until; i++) {
      String probe = "/n/probe-" + i;
      assertEquals(201, cluster.http(1).put("/v1/files" + probe, SingleNodeIT.random(4096, i)).statusCode());
      JsonNode stat = cluster.awaitStat(1, probe, s -> true, Duration.ofSeconds(10));
      if (LocalCluster.cleanNodes(stat).stream().allMatch(n -> n.equals(all))) return;
      TimeUnit.MILLISECONDS.sleep(500); // polling until the peer directories have met
    }
    throw new AssertionError("node-1 never chained a write to every node");
  }

  /** Writes two-replica probes through node-2 until neither lands on {@code node} (its drain flag reached node-2). */
  private void awaitPlacementAvoiding(String node, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    int clean = 0;
    for (int i = 0; System.nanoTime() < until; i++) {
      String probe = "/m/probe-" + i;
      byte[] bytes = SingleNodeIT.random(4096, 100 + i);
      assertEquals(201, cluster.http(2).put("/v1/files" + probe + "?policy=persistent(2,2)", bytes).statusCode());
      JsonNode stat = cluster.awaitStat(2, probe, s -> true, Duration.ofSeconds(10));
      // The second replica's node turns with each upload: two in a row without the node settle it.
      clean = LocalCluster.cleanNodes(stat).stream().noneMatch(n -> n.contains(node)) ? clean + 1 : 0;
      if (clean == 2) return;
      TimeUnit.MILLISECONDS.sleep(500); // the nodes read the drain state every 500 ms
    }
    throw new AssertionError("writes through node-2 still placed replicas on " + node);
  }

  /** Until the two holders' namespaces sent {@code bytes} since {@code start} (their counts then). */
  private static void awaitSent(long[] start, long bytes, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    for (;;) {
      long sent = namespaces.sentBytes(1) - start[0] + namespaces.sentBytes(2) - start[1];
      if (sent >= bytes) return;
      if (System.nanoTime() > until) throw new AssertionError("the holders sent only " + sent + " bytes within " + deadline);
      TimeUnit.MILLISECONDS.sleep(10); // polling the namespaces' counters
    }
  }

  private static int admin(int via, String method, String path) throws Exception {
    var r = cluster.http(via).send(method, path, HttpRequest.BodyPublishers.noBody());
    return r.statusCode();
  }
}
