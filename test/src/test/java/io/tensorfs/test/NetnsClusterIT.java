package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NetworkNamespaces;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.harness.TcpRelay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes, each in its own network namespace with its own address on a bridge, as two hosts on one
 * subnet: chunk bytes between them go over Aeron UDP, each node with its own media driver (so IPC is
 * impossible). Cassandra stays on the host's loopback, reached through a relay on the bridge.
 */
class NetnsClusterIT {
  private static final int MIB = 1 << 20;
  private static final Pattern TRANSPORT_LINE =
      Pattern.compile("transport (\\S+) at aeron-udp://([0-9.]+):(\\d+)\\?driver=([0-9a-f-]+)");

  private static NetworkNamespaces namespaces;
  private static TcpRelay cassandraRelay;
  private static LocalCluster cluster;
  private static final List<Path> driverDirs = new ArrayList<>();

  @BeforeAll
  static void startTwoHosts() throws Exception {
    try {
      namespaces = NetworkNamespaces.create(2);
    } catch (IOException e) {
      Assumptions.assumeTrue(false, "network namespaces are not available here (needs root and ip netns): "
          + e.getMessage());
    }
    cassandraRelay = TcpRelay.start(namespaces.hostAddress(), SharedCassandra.get().cqlAddress());
    List<LocalCluster.Host> hosts = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Path driverDir = Path.of("/dev/shm", "tensorfs-aeron-" + namespaces.name(i));
      driverDirs.add(driverDir);
      hosts.add(new LocalCluster.Host(namespaces.address(i), namespaces.launcher(i), List.of(
          "-Dtensorfs.transport.aeron.embedded-driver=on",
          "-Dtensorfs.transport.aeron.dir=" + driverDir)));
    }
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.kind=aeron");
    props.add("-Dtensorfs.transport.aeron.mode=udp");
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
  void shouldReplicateAndReadAcrossNamespacesWhenNodesTalkAeronUdp() throws Exception {
    // Each node runs the UDP transport on its own namespace's address, with a media driver of its own.
    Matcher one = transportLine(1);
    Matcher two = transportLine(2);
    assertEquals("aeron-udp", one.group(1));
    assertEquals("aeron-udp", two.group(1));
    assertEquals(namespaces.address(0), one.group(2), "node-1 advertises its namespace's address");
    assertEquals(namespaces.address(1), two.group(2), "node-2 advertises its namespace's address");
    assertNotEquals(one.group(4), two.group(4), "two media drivers: nothing can go over IPC");

    // The nodes find each other's transport a moment after the cluster is up: until a small file is
    // chained to node-2, a write would be placed on node-1 alone and repaired later.
    awaitChaining(Duration.ofSeconds(60));

    // A persistent file written through node-1 is chained to node-2: a replica of every chunk on each.
    byte[] p = SingleNodeIT.random(22 * MIB + 321, 41);
    assertEquals(201, cluster.http(1).put("/v1/files/n/p", p).statusCode());
    JsonNode stat = cluster.awaitStat(1, "/n/p", s -> true, Duration.ofSeconds(10));
    for (Set<String> nodes : LocalCluster.cleanNodes(stat)) {
      assertEquals(Set.of("node-1", "node-2"), nodes, "a CLEAN replica on each node: " + stat);
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

  private static Matcher transportLine(int node) throws IOException {
    String log = Files.readString(cluster.node(node).dataDir().resolve("node.log"));
    Matcher m = TRANSPORT_LINE.matcher(log);
    assertTrue(m.find(), "node-" + node + " logged no aeron-udp transport: " + cluster.node(node).logTail());
    return m;
  }

  /** Writes small probe files through node-1 until one is replicated on both nodes as it is written. */
  private void awaitChaining(Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    for (int i = 0; System.nanoTime() < until; i++) {
      String probe = "/n/probe-" + i;
      assertEquals(201, cluster.http(1).put("/v1/files" + probe, SingleNodeIT.random(4096, i)).statusCode());
      JsonNode stat = cluster.awaitStat(1, probe, s -> true, Duration.ofSeconds(10));
      if (LocalCluster.cleanNodes(stat).stream().allMatch(n -> n.equals(Set.of("node-1", "node-2")))) return;
      TimeUnit.MILLISECONDS.sleep(500); // polling until the peer directories have met
    }
    throw new AssertionError("node-1 never chained a write to node-2");
  }
}
