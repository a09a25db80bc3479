package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * KV blocks ({@code /v1/kv}) on two node processes: put, get, head, exists and delete with a tenant's token
 * (403 for another tenant's, and for a read-only token's writes), a block put through one node read
 * through the other, and a node restart after which every key misses or returns exactly the bytes put.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KvBlocksIT {
  private static final int MIB = 1 << 20;

  private LocalCluster cluster;
  private String admin;
  private String aWriter;
  private String aReader;
  private String bWriter;

  @BeforeAll
  void start() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    // TCP, as the other tests that kill a node: over Aeron the two node processes share one media driver,
    // which the node killed here may be running, and the survivor's transport would go down with it.
    props.add("-Dtensorfs.transport.kind=tcp");
    cluster = new LocalCluster("kv_blocks", 2, props).start();
    admin = Files.readString(NodeProcess.adminTokenFile(cluster.node(1).dataDir())).strip();
    aWriter = token("a", "read-write");
    aReader = token("a", "read-only");
    bWriter = token("b", "read-write");
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(1)
  void shouldPutGetCheckAndDeleteABlockWithTheTenantsToken() throws Exception {
    TfsHttp h = cluster.httpWithoutToken(1);
    byte[] block = SingleNodeIT.random(300_000, 1);
    assertEquals(201, h.put("/v1/kv/a/seq-1/layer/0", block, bearer(aWriter)).statusCode());
    var got = h.get("/v1/kv/a/seq-1/layer/0", bearer(aReader));
    assertEquals(200, got.statusCode());
    assertArrayEquals(block, got.body());
    var head = h.head("/v1/kv/a/seq-1/layer/0", bearer(aReader));
    assertEquals(200, head.statusCode());
    assertEquals(String.valueOf(block.length), head.headers().firstValue("Content-Length").orElse(""));
    // Replaced atomically: the new bytes, whole.
    byte[] again = SingleNodeIT.random(1000, 2);
    assertEquals(201, h.put("/v1/kv/a/seq-1/layer/0", again, bearer(aWriter)).statusCode());
    assertArrayEquals(again, h.get("/v1/kv/a/seq-1/layer/0", bearer(aWriter)).body());

    JsonNode p = exists(h, "a", List.of("seq-1/layer/0", "seq-1/layer/1"), aReader);
    assertEquals("[true,false]", p.get("present").toString());
    assertEquals(1, p.get("prefix").asInt());

    // Another tenant's token, and a read-only token's writes: 403, whether the key exists or not.
    for (String key : List.of("seq-1/layer/0", "nothing-here")) {
      assertError(403, h.get("/v1/kv/a/" + key, bearer(bWriter)));
      assertError(403, h.head("/v1/kv/a/" + key, bearer(bWriter)));
      assertError(403, h.put("/v1/kv/a/" + key, block, bearer(bWriter)));
      assertError(403, h.delete("/v1/kv/a/" + key, bearer(bWriter)));
      assertError(403, h.put("/v1/kv/a/" + key, block, bearer(aReader)));
      assertError(403, h.delete("/v1/kv/a/" + key, bearer(aReader)));
    }
    assertError(403, existsResponse(h, "a", List.of("seq-1/layer/0"), bWriter));
    assertError(401, h.get("/v1/kv/a/seq-1/layer/0"));
    assertArrayEquals(again, h.get("/v1/kv/a/seq-1/layer/0", bearer(aReader)).body(), "refused writes changed nothing");

    assertEquals(204, h.delete("/v1/kv/a/seq-1/layer/0", bearer(aWriter)).statusCode());
    assertError(404, h.get("/v1/kv/a/seq-1/layer/0", bearer(aReader)));
    assertEquals(404, h.head("/v1/kv/a/seq-1/layer/0", bearer(aReader)).statusCode());
    assertError(404, h.delete("/v1/kv/a/seq-1/layer/0", bearer(aWriter)));
    assertError(400, h.put("/v1/kv/a/x/../y", block, bearer(aWriter)));
    assertError(413, h.put("/v1/kv/a/huge", new byte[64 * MIB + 1], bearer(aWriter)));
  }

  @Test
  @Order(2)
  void shouldReadThroughOneNodeABlockPutThroughTheOther() throws Exception {
    Map<String, byte[]> blocks = blocks("cross", 12, 10);
    for (var b : blocks.entrySet()) assertEquals(201, cluster.http(1).put("/v1/kv/a/" + b.getKey(), b.getValue()).statusCode());
    for (var b : blocks.entrySet()) {
      var r = cluster.http(2).get("/v1/kv/a/" + b.getKey());
      assertEquals(200, r.statusCode(), b.getKey() + ": " + new String(r.body(), StandardCharsets.UTF_8));
      assertArrayEquals(b.getValue(), r.body(), b.getKey());
    }
    List<String> keys = new ArrayList<>(blocks.keySet());
    keys.add("cross/none");
    JsonNode p = exists(cluster.http(2), "a", keys, admin);
    assertEquals(blocks.size(), p.get("prefix").asInt(), p.toString());
    // Put again through node-2: node-1 reads the new bytes.
    byte[] fresh = SingleNodeIT.random(4 * MIB + 5, 99);
    assertEquals(201, cluster.http(2).put("/v1/kv/a/cross/0", fresh).statusCode());
    assertArrayEquals(fresh, cluster.http(1).get("/v1/kv/a/cross/0").body());
  }

  @Test
  @Order(3)
  void shouldMissOrReturnTheExactBytesOfEveryKeyAfterANodeRestarts() throws Exception {
    Map<String, byte[]> viaOne = blocks("one", 30, 200);
    Map<String, byte[]> viaTwo = blocks("two", 30, 300);
    for (var b : viaOne.entrySet()) assertEquals(201, cluster.http(1).put("/v1/kv/a/" + b.getKey(), b.getValue()).statusCode());
    for (var b : viaTwo.entrySet()) assertEquals(201, cluster.http(2).put("/v1/kv/a/" + b.getKey(), b.getValue()).statusCode());
    for (var b : viaTwo.entrySet()) assertArrayEquals(b.getValue(), cluster.http(1).get("/v1/kv/a/" + b.getKey()).body());

    cluster.node(2).kill();
    cluster.restart(2);

    int hits = 0;
    for (int node = 1; node <= 2; node++) {
      for (var b : viaOne.entrySet()) if (hitOrMiss(node, b.getKey(), b.getValue())) hits++;
      for (var b : viaTwo.entrySet()) {
        assertTrue(!hitOrMiss(node, b.getKey(), b.getValue()), "node-2's blocks died with it: " + b.getKey());
      }
    }
    System.out.println("KvBlocksIT: after node-2's restart " + hits + " of " + 2 * viaOne.size()
        + " reads of node-1's blocks hit (the rest lost their index bucket with node-2)");
    // The restarted node takes puts again and serves them to the other.
    byte[] after = SingleNodeIT.random(1234, 400);
    assertEquals(201, awaitAnswer(2, "PUT", "/v1/kv/a/after", after).statusCode());
    assertArrayEquals(after, cluster.http(1).get("/v1/kv/a/after").body());
  }

  /** Whether a read of {@code key} through {@code node} hit; a hit must be exactly {@code bytes}, else a 404. */
  private boolean hitOrMiss(int node, String key, byte[] bytes) throws Exception {
    var r = awaitAnswer(node, "GET", "/v1/kv/a/" + key, null);
    if (r.statusCode() == 200) {
      assertArrayEquals(bytes, r.body(), "a hit returns exactly the bytes put: " + key + " via node-" + node);
      return true;
    }
    assertEquals(404, r.statusCode(), key + ": " + new String(r.body(), StandardCharsets.UTF_8));
    return false;
  }

  /** The answer once it is not 503 (a bucket moving off the restarted node answers UNAVAILABLE meanwhile). */
  private HttpResponse<byte[]> awaitAnswer(int node, String method, String path, byte[] body) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      HttpResponse<byte[]> r = cluster.http(node).send(method, path, body == null
          ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
      if (r.statusCode() != 503 || System.nanoTime() > until) return r;
      TimeUnit.MILLISECONDS.sleep(200); // polling the cluster's recovery
    }
  }

  private static Map<String, byte[]> blocks(String prefix, int n, long seed) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int[] sizes = {1, 0, 4096, 300_000, 2 * MIB + 1};
    for (int i = 0; i < n; i++) out.put(prefix + "/" + i, SingleNodeIT.random(sizes[i % sizes.length], seed + i));
    return out;
  }

  private JsonNode exists(TfsHttp h, String tenant, List<String> keys, String token) throws Exception {
    var r = existsResponse(h, tenant, keys, token);
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return TfsHttp.json(r);
  }

  private static HttpResponse<byte[]> existsResponse(TfsHttp h, String tenant, List<String> keys, String token)
      throws Exception {
    StringBuilder json = new StringBuilder("{\"keys\":[");
    for (int i = 0; i < keys.size(); i++) json.append(i == 0 ? "" : ",").append('"').append(keys.get(i)).append('"');
    json.append("]}");
    return h.send("POST", "/v1/kv/" + tenant + "?op=exists", HttpRequest.BodyPublishers.ofString(json.toString()),
        "Authorization", "Bearer " + token, "Content-Type", "application/json");
  }

  private static void assertError(int status, HttpResponse<byte[]> r) {
    assertEquals(status, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
  }

  private String token(String tenant, String role) throws Exception {
    HttpResponse<byte[]> r = cluster.http(1).send("POST", "/v1/admin/tokens", HttpRequest.BodyPublishers.ofString(
        "{\"tenant\":\"" + tenant + "\",\"role\":\"" + role + "\",\"description\":\"KvBlocksIT\"}"),
        "Content-Type", "application/json");
    assertEquals(201, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return TfsHttp.json(r).get("token").asText();
  }

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }
}
