package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three node processes. Files of {@code persistent(2,1)} (two replicas) are written through every node,
 * so node-3 holds replicas, and one {@code persistent} file (three replicas, one per node). Draining node-3
 * moves every two-replica chunk off it (a copy on another node first, then node-3's replica released), while
 * the three-replica chunk cannot move: the drain says it is stuck and why, and node-3 keeps that replica. Once
 * that file is deleted the drain is done: no chunk lists node-3, every chunk has its two CLEAN replicas, every
 * byte reads back the same through every node, and a new write through node-3 places nothing on it, also once
 * node-3 has restarted (the drain state is in the metadata store). Undrained,
 * node-3 takes replicas again. Decommissioning node-2 drains it, then it leaves the cluster and its process
 * exits with code 0. The admin refusals: 404 for an unknown node, 409 for draining the last open node.
 */
class DrainIT {
  private static final int MIB = 1 << 20;
  private static final Duration DRAIN_DEADLINE = Duration.ofMinutes(3);
  private static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.transport.kind=tcp");
    props.add("-Dtensorfs.sharding.drain.poll-interval=500ms");
    props.add("-Dtensorfs.operator.remote-collect-delay=1s");
    cluster = new LocalCluster("drain", 3, props).start();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  void shouldMoveEveryReplicaOffADrainedNodeThenLetADecommissionedNodeLeave() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      byte[] bytes = SingleNodeIT.random(5 * MIB + 17 * i, 700 + i); // two chunks of 4 MiB
      String path = "/d/f" + i + ".bin";
      var put = cluster.http(1 + i % 3).put("/v1/files" + path + "?policy=persistent(2,1)", bytes, admin());
      assertEquals(201, put.statusCode(), new String(put.body()));
      files.put(path, bytes);
    }
    byte[] three = SingleNodeIT.random(MIB, 799);
    assertEquals(201, cluster.http(1).put("/v1/files/d/three.bin?policy=persistent", three, admin()).statusCode());
    for (String path : files.keySet()) awaitClean(path, 2);
    awaitClean("/d/three.bin", 3);
    boolean onNode3 = false;
    for (String path : files.keySet()) onNode3 |= holders(stat(path)).contains("node-3");
    assertTrue(onNode3, "node-3 holds no replica of the two-replica files: the drain would prove nothing");

    JsonNode started = admin(1, "POST", "/v1/admin/nodes/node-3/drain", 202);
    assertEquals("node-3", started.get("node").asText());
    assertEquals("draining", started.get("state").asText());

    // The three-replica chunk has nowhere to go: the drain is stuck on it and says why; node-3 keeps it.
    JsonNode stuck = awaitDrain(2, "node-3", d -> !d.get("stuck").isNull() && d.get("replicasLeft").asInt(-1) == 1);
    assertEquals("draining", stuck.get("state").asText());
    assertTrue(stuck.get("stuck").asText().contains("3 nodes"), stuck.toString());
    assertTrue(stuck.get("stuck").asText().contains("2 remain"), stuck.toString());
    assertEquals(Set.of("node-1", "node-2", "node-3"), LocalCluster.cleanNodes(stat("/d/three.bin")).get(0));
    for (var f : files.entrySet()) assertMovedOff(f.getKey(), f.getValue(), "node-3");

    assertEquals(204, cluster.http(1).delete("/v1/files/d/three.bin", admin()).statusCode());
    JsonNode drained = awaitDrain(3, "node-3", d -> d.get("state").asText().equals("drained"));
    assertEquals(0, drained.get("replicasLeft").asInt());
    assertTrue(drained.get("stuck").isNull(), drained.toString());
    assertFalse(drained.get("since").isNull());
    JsonNode all = admin(1, "GET", "/v1/admin/drains", 200);
    assertEquals(3, all.get("nodes").size(), all.toString());
    for (JsonNode n : all.get("nodes")) {
      assertEquals(n.get("node").asText().equals("node-3") ? "drained" : "active", n.get("state").asText(), all.toString());
    }
    for (var f : files.entrySet()) assertMovedOff(f.getKey(), f.getValue(), "node-3");
    awaitNoChunkFiles(cluster.node(3).dataDir());

    // Drained: a write through node-3 places nothing on it.
    byte[] late = SingleNodeIT.random(3 * MIB, 801);
    assertEquals(201, cluster.http(3).put("/v1/files/d/late.bin?policy=persistent(2,1)", late, admin()).statusCode());
    assertFalse(holders(stat("/d/late.bin")).contains("node-3"), stat("/d/late.bin").toString());

    // The drain state is in the metadata store: node-3 restarted is still drained from its first request on.
    cluster.node(3).close();
    cluster.restart(3);
    assertEquals("drained", admin(3, "GET", "/v1/admin/nodes/node-3/drain", 200).get("state").asText());
    byte[] restarted = SingleNodeIT.random(3 * MIB, 802);
    assertEquals(201, cluster.http(3).put("/v1/files/d/restarted.bin?policy=persistent(2,1)", restarted, admin()).statusCode());
    assertFalse(holders(stat("/d/restarted.bin")).contains("node-3"), stat("/d/restarted.bin").toString());
    files.put("/d/restarted.bin", restarted);

    // Undrained: node-3 is active and a write through it places its first replica there again.
    assertEquals("active", admin(2, "DELETE", "/v1/admin/nodes/node-3/drain", 200).get("state").asText());
    awaitPlacedOn(3, "node-3");

    JsonNode repair = admin(1, "POST", "/v1/admin/repair", 202);
    assertTrue(repair.get("started").asBoolean());
    assertEquals(3, repair.get("nodes").size(), repair.toString());

    assertEquals(404, adminStatus(1, "POST", "/v1/admin/nodes/node-9/drain"));
    assertEquals(404, adminStatus(1, "GET", "/v1/admin/nodes/node-9/drain"));

    // Decommission node-2: its replicas move to node-1 and node-3, then it leaves and its process exits 0.
    assertEquals("decommissioning", admin(1, "POST", "/v1/admin/nodes/node-2/decommission", 202).get("state").asText());
    OptionalInt exit = cluster.node(2).awaitExit(DRAIN_DEADLINE);
    assertTrue(exit.isPresent(), "node-2 did not stop after its decommission: " + cluster.node(2).logTail());
    assertEquals(0, exit.getAsInt(), cluster.node(2).logTail());
    JsonNode gone = awaitDrain(1, "node-2", d -> d.get("state").asText().equals("decommissioned"));
    assertEquals(0, gone.get("replicasLeft").asInt());
    awaitMembers(1, 2);
    files.put("/d/late.bin", late);
    for (var f : files.entrySet()) assertMovedOff(f.getKey(), f.getValue(), "node-2");

    // Two nodes left: draining one leaves the other as the last open node, which cannot be drained.
    admin(1, "POST", "/v1/admin/nodes/node-3/drain", 202);
    assertEquals(409, adminStatus(3, "POST", "/v1/admin/nodes/node-1/drain"));
    admin(1, "DELETE", "/v1/admin/nodes/node-3/drain", 200);
  }

  /** No chunk of {@code path} lists {@code node}; each has its two CLEAN replicas; every live node reads it back. */
  private static void assertMovedOff(String path, byte[] bytes, String node) throws Exception {
    JsonNode stat = stat(path);
    for (JsonNode chunk : stat.get("chunks")) {
      for (JsonNode r : chunk.get("replicas")) {
        assertFalse(r.get("node").asText().equals(node), path + " still lists " + node + ": " + stat);
      }
    }
    for (Set<String> clean : LocalCluster.cleanNodes(stat)) assertEquals(2, clean.size(), path + ": " + stat);
    for (int via = 1; via <= 3; via++) {
      if (!cluster.node(via).alive()) continue;
      var r = cluster.http(via).get("/v1/files" + path, admin());
      assertEquals(200, r.statusCode(), path + " via node-" + via);
      assertArrayEquals(bytes, r.body(), path + " via node-" + via + " read back other bytes");
    }
  }

  private static void awaitClean(String path, int replicas) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = stat(path);
    while (!LocalCluster.cleanNodes(last).stream().allMatch(c -> c.size() == replicas)) {
      if (System.nanoTime() > until) throw new AssertionError(path + " never had " + replicas + " CLEAN replicas: " + last);
      TimeUnit.MILLISECONDS.sleep(500); // the repair sweeps run every few seconds
      last = stat(path);
    }
  }

  private static Set<String> holders(JsonNode stat) {
    Set<String> nodes = new java.util.HashSet<>();
    for (JsonNode chunk : stat.get("chunks")) {
      for (JsonNode r : chunk.get("replicas")) nodes.add(r.get("node").asText());
    }
    return nodes;
  }

  /** Writes through node {@code via} until a chunk lands on {@code node} (its drain flag reaches the others in a poll). */
  private static void awaitPlacedOn(int via, String node) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (int i = 0; System.nanoTime() < until; i++) {
      String path = "/d/back" + i + ".bin";
      byte[] bytes = SingleNodeIT.random(MIB, 900 + i);
      assertEquals(201, cluster.http(via).put("/v1/files" + path + "?policy=persistent(2,1)", bytes, admin()).statusCode());
      if (holders(stat(path)).contains(node)) return;
      TimeUnit.MILLISECONDS.sleep(500); // the node reads its drain state every 500 ms
    }
    throw new AssertionError("no write placed a replica on " + node + " after its undrain");
  }

  private static JsonNode stat(String path) throws Exception {
    for (int via = 1; via <= 3; via++) {
      if (!cluster.node(via).alive()) continue;
      var r = cluster.http(via).get("/v1/stat" + path, admin());
      assertEquals(200, r.statusCode(), new String(r.body()));
      return TfsHttp.json(r);
    }
    throw new AssertionError("no node alive");
  }

  private static JsonNode awaitDrain(int via, String node, Predicate<JsonNode> test) throws Exception {
    long until = System.nanoTime() + DRAIN_DEADLINE.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < until) {
      last = admin(via, "GET", "/v1/admin/nodes/" + node + "/drain", 200);
      if (test.test(last)) return last;
      TimeUnit.MILLISECONDS.sleep(500); // polling the cluster's progress
    }
    throw new AssertionError("the drain of " + node + " never matched within " + DRAIN_DEADLINE + "; last: " + last);
  }

  private static void awaitMembers(int via, int count) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < until) {
      last = TfsHttp.json(cluster.http(via).get("/v1/health"));
      if (last.get("members").size() == count) return;
      TimeUnit.MILLISECONDS.sleep(500); // polling the cluster's membership
    }
    throw new AssertionError("the cluster never had " + count + " members; last: " + last);
  }

  private static JsonNode admin(int via, String method, String path, int expected) throws Exception {
    var r = cluster.http(via).send(method, path, HttpRequest.BodyPublishers.noBody(), admin());
    assertEquals(expected, r.statusCode(), method + " " + path + ": " + new String(r.body()));
    return TfsHttp.json(r);
  }

  private static int adminStatus(int via, String method, String path) throws Exception {
    return cluster.http(via).send(method, path, HttpRequest.BodyPublishers.noBody(), admin()).statusCode();
  }

  /** The admin token's header once the cluster has one (auth on), else none. */
  private static String[] admin() throws Exception {
    Path token = NodeProcess.adminTokenFile(cluster.node(1).dataDir());
    if (!Files.isReadable(token)) return new String[0];
    return new String[] {"Authorization", "Bearer " + Files.readString(token).strip()};
  }

  /** Released replicas leave the disk (the deleted file's bytes go with its collection, a moment later). */
  private static void awaitNoChunkFiles(Path dataDir) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!storedChunkFiles(dataDir).isEmpty()) {
      if (System.nanoTime() > until) throw new AssertionError("replica files left in " + dataDir + ": " + storedChunkFiles(dataDir));
      TimeUnit.MILLISECONDS.sleep(500); // polling another process's disk
    }
  }

  /** The chunk data files left in a node's stores. */
  private static List<Path> storedChunkFiles(Path dataDir) throws Exception {
    try (var walk = Files.walk(dataDir)) {
      return walk.filter(p -> p.getFileName().toString().endsWith(".data") && p.toString().contains("/chunks/")).toList();
    }
  }
}
