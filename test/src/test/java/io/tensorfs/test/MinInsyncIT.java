package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Min-insync with real node processes: three nodes, one killed with SIGKILL. Until the cluster removes it,
 * the dead node still counts, so a {@code persistent(3,3)} write fails with 503 NOT_ENOUGH_REPLICAS and
 * leaves nothing (not visible, no bytes on the survivors), while a {@code persistent(3,2)} write is
 * acknowledged on the two survivors, shows as under-replicated, and is repaired to three replicas once the
 * node is back.
 *
 * <p>The metadata entities live on node-1 and node-2 only (a sharding role node-3 lacks), so the dead node
 * takes no metadata with it: what is tested is the replicas' rule, not the metadata's fail-over. The
 * split-brain resolver waits 60 s before it downs the dead node, which keeps it a member for the test.
 */
class MinInsyncIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldRefuseWritesThatCannotReachMinInsyncAndAcknowledgeThoseThatCan() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.removeIf(p -> p.contains("split-brain-resolver.stable-after"));
    props.add("-Dpekko.cluster.split-brain-resolver.stable-after=60s");
    props.add("-Dtensorfs.transport.kind=tcp");
    props.add("-Dpekko.cluster.sharding.role=metadata");
    LocalCluster.Host metadata = new LocalCluster.Host("127.0.0.1", List.of(), List.of("-Dpekko.cluster.roles.0=metadata"));
    List<LocalCluster.Host> hosts = List.of(metadata, metadata, LocalCluster.Host.LOOPBACK);
    try (LocalCluster cluster = new LocalCluster("mininsync", props, hosts, SharedCassandra.get().contactPoint()).start()) {
      TfsHttp http = cluster.http(1);

      // Once node-1 counts the three nodes, persistent(3,3) reaches all three.
      putWhileNotEnough(http, "/v1/files/mi/probe?policy=persistent(3,3)", SingleNodeIT.random(1000, 40));
      JsonNode probe = cluster.awaitStat(1, "/mi/probe", s -> s.get("minInsync").asInt() == 3, Duration.ofSeconds(60));
      String warm = putWhileNotEnough(http, "/v1/files/mi/warm?policy=persistent(3,3)", SingleNodeIT.random(MIB, 41));
      JsonNode warmStat = cluster.awaitStat(1, "/mi/warm", s -> true, Duration.ofSeconds(10));
      assertEquals("persistent(3,3)", warmStat.get("policy").asText());
      assertEquals(3, warmStat.get("minInsync").asInt());
      assertFalse(warmStat.get("underReplicated").asBoolean(), warm);
      assertTrue(Files.readString(cluster.node(1).dataDir().resolve("node.log"))
          .contains("3 node(s) of the cluster can hold replicas"), "node-1 logged the count it caps min-insync at");

      cluster.node(3).kill();

      // The dead node is a member until removed: three are needed, at most two are reachable.
      HttpResponse<byte[]> refused = http.put("/v1/files/mi/three?policy=persistent(3,3)", SingleNodeIT.random(3 * MIB, 42));
      assertNotEnough(refused);
      assertEquals(404, http.get("/v1/stat/mi/three").statusCode(), "a refused write is not visible");
      assertEquals(404, http.get("/v1/files/mi/three").statusCode());

      // persistent(3,2): acknowledged on the two survivors (once node-1 stops chaining through the dead one).
      byte[] two = SingleNodeIT.random(6 * MIB + 17, 43);
      putWhileNotEnough(http, "/v1/files/mi/two?policy=persistent(3,2)", two);
      JsonNode twoStat = TfsHttp.json(http.get("/v1/stat/mi/two"));
      assertEquals(2, twoStat.get("minInsync").asInt());
      assertTrue(twoStat.get("underReplicated").asBoolean(), "two replicas of three: " + twoStat);
      for (Set<String> nodes : LocalCluster.cleanNodes(twoStat)) assertEquals(Set.of("node-1", "node-2"), nodes);
      assertEquals(200, cluster.http(2).get("/v1/files/mi/two").statusCode());

      // Still a member (not yet downed): persistent(3,3) is still refused.
      assertNotEnough(http.put("/v1/files/mi/three?policy=persistent(3,3)", SingleNodeIT.random(MIB, 44)));
      assertEquals(404, http.get("/v1/stat/mi/three").statusCode());

      // Nothing of the refused writes is left on the survivors' disks.
      Set<String> visible = Set.of(probe.get("fileId").asText(), warmStat.get("fileId").asText(),
          twoStat.get("fileId").asText());
      awaitVersionsOnDisk(cluster.node(1).dataDir(), visible);
      awaitVersionsOnDisk(cluster.node(2).dataDir(), visible);

      // The node comes back: the repairer brings every chunk back to three replicas.
      cluster.restart(3);
      JsonNode repaired = cluster.awaitStat(1, "/mi/two", s -> !s.get("underReplicated").asBoolean(),
          Duration.ofSeconds(120));
      for (Set<String> nodes : LocalCluster.cleanNodes(repaired)) assertEquals(3, nodes.size(), repaired.toString());
      assertEquals(200, cluster.http(3).get("/v1/files/mi/two").statusCode());
    }
  }

  private static void assertNotEnough(HttpResponse<byte[]> r) throws IOException {
    assertEquals(503, r.statusCode(), new String(r.body()));
    JsonNode error = TfsHttp.json(r);
    assertEquals("NOT_ENOUGH_REPLICAS", error.get("error").asText());
    assertTrue(error.get("message").asText().contains("chunk 0 of /mi/three reached "), error.toString());
    assertTrue(error.get("message").asText().contains(" of the 3 durable replicas it needs"), error.toString());
  }

  /**
   * PUTs {@code body}, again while the answer is 503 NOT_ENOUGH_REPLICAS (the nodes are still being
   * counted, or a dead one still chained), within 60 s; returns the 201's body. Any other status fails.
   */
  private static String putWhileNotEnough(TfsHttp http, String target, byte[] body) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      HttpResponse<byte[]> r = http.put(target, body);
      if (r.statusCode() == 201) return new String(r.body());
      assertEquals(503, r.statusCode(), new String(r.body()));
      assertEquals("NOT_ENOUGH_REPLICAS", TfsHttp.json(r).get("error").asText(), new String(r.body()));
      if (System.nanoTime() > until) throw new AssertionError(target + " still refused: " + new String(r.body()));
      TimeUnit.MILLISECONDS.sleep(500); // polling while the cluster's view settles
    }
  }

  /** Waits until every version with bytes in the node's store is one of {@code expected} (refused ones are gone). */
  private static void awaitVersionsOnDisk(Path nodeDir, Set<String> expected) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Set<String> last = Set.of();
    while (System.nanoTime() < until) {
      try (Stream<Path> s = Files.list(nodeDir.resolve("store0/chunks"))) {
        last = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
      }
      if (expected.containsAll(last)) return;
      TimeUnit.MILLISECONDS.sleep(200); // polling another process's disk while it collects
    }
    throw new AssertionError(nodeDir + " holds " + last + ", expected only some of " + expected);
  }
}
