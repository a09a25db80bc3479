package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** One real node process over one real Cassandra, driven through the HTTP API as a user would. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleNodeIT {
  private static final int MIB = 1 << 20;
  private NodeProcess node;
  private TfsHttp http;

  @BeforeAll
  void startNode() throws Exception {
    var cassandra = SharedCassandra.get();
    SharedCassandra.deleteTree(RepoPaths.scratch("single"));
    node = new NodeProcess("node-1", RepoPaths.scratch("single").resolve("node-1"), cassandra.contactPoint(),
        "it_single", List.of("-Dtensorfs.gateway.chunk-size=4MiB")).start(Duration.ofMinutes(3));
    http = new TfsHttp(node);
  }

  @AfterAll
  void stopNode() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void shouldRoundTripBytesWhenFileSpansSeveralChunks() throws Exception {
    byte[] bytes = random(10 * MIB + 123, 1);
    var put = http.put("/v1/files/t1/models/w.bin", bytes);
    assertEquals(201, put.statusCode(), body(put));
    JsonNode meta = TfsHttp.json(put);
    assertEquals("/t1/models/w.bin", meta.get("path").asText());
    assertEquals(bytes.length, meta.get("size").asLong());
    assertEquals(3, meta.get("chunks").asInt());
    assertEquals(crc(bytes), meta.get("crc32c").asText());
    assertEquals("persistent", meta.get("policy").asText());

    var get = http.get("/v1/files/t1/models/w.bin");
    assertEquals(200, get.statusCode());
    assertArrayEquals(bytes, get.body());
    assertEquals("\"" + meta.get("version").asLong() + "\"", get.headers().firstValue("ETag").orElseThrow());

    var head = http.head("/v1/files/t1/models/w.bin");
    assertEquals(200, head.statusCode());
    assertEquals(Long.toString(bytes.length), head.headers().firstValue("Content-Length").orElseThrow());
    assertEquals("persistent", head.headers().firstValue("X-Tfs-Policy").orElseThrow());

    JsonNode stat = TfsHttp.json(http.get("/v1/stat/t1/models/w.bin"));
    assertEquals(3, stat.get("chunks").size());
    assertEquals(4 * MIB, stat.get("chunks").get(0).get("length").asLong());
    JsonNode replica = stat.get("chunks").get(2).get("replicas").get(0);
    assertEquals("node-1", replica.get("node").asText());
    assertEquals("CLEAN", replica.get("state").asText());
    assertTrue(stat.get("underReplicated").asBoolean(), "one node, one store: 1 of 3 replicas");
    assertEquals("persistent", stat.get("policy").asText());
    assertEquals(3, stat.get("replicasWanted").asInt());
    assertEquals(1, stat.get("minInsync").asInt(), "min-insync 2 capped at the one node");
  }

  @Test
  void shouldServeEveryRangeFormWhenRangeIsAsked() throws Exception {
    byte[] bytes = random(8 * MIB + 77, 2);
    assertEquals(201, http.put("/v1/files/t1/ranges", bytes).statusCode());
    int boundary = 4 * MIB;
    expectSlice("bytes=0-99", bytes, 0, 99);
    expectSlice("bytes=" + (boundary - 10) + "-" + (boundary + 10), bytes, boundary - 10, boundary + 10);
    expectSlice("bytes=" + (bytes.length - 5) + "-", bytes, bytes.length - 5, bytes.length - 1);
    expectSlice("bytes=-50", bytes, bytes.length - 50, bytes.length - 1);
    expectSlice("bytes=100-99999999999", bytes, 100, bytes.length - 1);

    var unsatisfiable = http.get("/v1/files/t1/ranges", "Range", "bytes=" + bytes.length + "-");
    assertEquals(416, unsatisfiable.statusCode());
    assertEquals("bytes */" + bytes.length, unsatisfiable.headers().firstValue("Content-Range").orElseThrow());
    assertEquals("RANGE_NOT_SATISFIABLE", TfsHttp.json(unsatisfiable).get("error").asText());

    var several = http.get("/v1/files/t1/ranges", "Range", "bytes=0-1,5-6");
    assertEquals(200, several.statusCode(), "several ranges: the whole file");
    assertArrayEquals(bytes, several.body());
  }

  @Test
  void shouldReplaceAtomicallyWhenPathIsOverwritten() throws Exception {
    byte[] v1 = random(5 * MIB, 3);
    byte[] v2 = random(MIB + 1, 4);
    long first = TfsHttp.json(http.put("/v1/files/t1/over", v1)).get("version").asLong();
    long second = TfsHttp.json(http.put("/v1/files/t1/over", v2)).get("version").asLong();
    assertTrue(second > first);
    assertArrayEquals(v2, http.get("/v1/files/t1/over").body());

    var createOnly = http.put("/v1/files/t1/over", v1, "If-None-Match", "*");
    assertEquals(412, createOnly.statusCode());
    assertEquals("PRECONDITION_FAILED", TfsHttp.json(createOnly).get("error").asText());
    assertArrayEquals(v2, http.get("/v1/files/t1/over").body(), "a refused PUT changes nothing");
    assertEquals(201, http.put("/v1/files/t1/new-only", v1, "If-None-Match", "*").statusCode());
  }

  @Test
  void shouldHonorIfMatchAndIfNoneMatchWhenRequestsAreConditional() throws Exception {
    String f = "/v1/files/t1/cond";
    byte[] v1 = random(6 * MIB, 11);
    var created = http.put(f, v1);
    assertEquals(201, created.statusCode(), body(created));
    assertEquals("\"1\"", created.headers().firstValue("ETag").orElseThrow());

    var stale = http.put(f, random(100, 12), "If-Match", "\"7\"");
    assertEquals(412, stale.statusCode(), body(stale));
    assertEquals("PRECONDITION_FAILED", TfsHttp.json(stale).get("error").asText());
    assertTrue(TfsHttp.json(stale).get("message").asText().contains("is at version 1"), body(stale));
    var still = http.get(f);
    assertEquals("\"1\"", still.headers().firstValue("ETag").orElseThrow(), "a refused PUT changes nothing");
    assertArrayEquals(v1, still.body());

    byte[] v2 = random(5 * MIB + 3, 13);
    var replaced = http.put(f, v2, "If-Match", "\"1\"");
    assertEquals(201, replaced.statusCode(), body(replaced));
    assertEquals(2, TfsHttp.json(replaced).get("version").asLong());

    var notModified = http.get(f, "If-None-Match", "\"2\"");
    assertEquals(304, notModified.statusCode());
    assertEquals("\"2\"", notModified.headers().firstValue("ETag").orElseThrow());
    assertEquals(0, notModified.body().length);
    assertEquals(304, http.head(f, "If-None-Match", "W/\"2\"").statusCode());
    var modified = http.get(f, "If-None-Match", "\"1\"");
    assertEquals(200, modified.statusCode());
    assertArrayEquals(v2, modified.body());

    var wrongVersion = http.get(f, "If-Match", "\"1\"");
    assertEquals(412, wrongVersion.statusCode(), body(wrongVersion));
    assertEquals("PRECONDITION_FAILED", TfsHttp.json(wrongVersion).get("error").asText());
    var ranged = http.get(f, "If-Match", "\"2\"", "Range", "bytes=0-9");
    assertEquals(206, ranged.statusCode());
    assertArrayEquals(Arrays.copyOfRange(v2, 0, 10), ranged.body());

    assertEquals(412, http.delete(f, "If-Match", "\"1\"").statusCode());
    assertArrayEquals(v2, http.get(f).body(), "a refused DELETE changes nothing");
    assertEquals(204, http.delete(f, "If-Match", "\"2\"").statusCode());
    assertEquals(404, http.get(f).statusCode());
  }

  @Test
  void shouldSealExactlyOneWhenConcurrentPutsCarryTheSameIfMatch() throws Exception {
    String f = "/v1/files/t1/race";
    assertEquals(201, http.put(f, random(1000, 20)).statusCode());
    List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> puts = new ArrayList<>();
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] b = random(3 * MIB, 21 + i);
      bodies.add(b);
      puts.add(http.client().sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(http.base() + f))
              .timeout(Duration.ofMinutes(2)).header("If-Match", "\"1\"")
              .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(b)).build(),
          HttpResponse.BodyHandlers.ofByteArray()));
    }
    int winner = -1;
    for (int i = 0; i < puts.size(); i++) {
      var r = puts.get(i).get(2, java.util.concurrent.TimeUnit.MINUTES);
      if (r.statusCode() == 201) {
        assertEquals(-1, winner, "a second PUT under If-Match \"1\" also sealed");
        winner = i;
      } else {
        assertEquals(412, r.statusCode(), body(r));
      }
    }
    assertTrue(winner >= 0, "one PUT under If-Match \"1\" seals");
    var now = http.get(f);
    assertEquals("\"2\"", now.headers().firstValue("ETag").orElseThrow());
    assertArrayEquals(bodies.get(winner), now.body());
  }

  @Test
  void shouldDeleteAndThenAnswerNotFoundWhenDeleted() throws Exception {
    assertEquals(201, http.put("/v1/files/t1/gone", random(1000, 5)).statusCode());
    assertEquals(204, http.delete("/v1/files/t1/gone").statusCode());
    var get = http.get("/v1/files/t1/gone");
    assertEquals(404, get.statusCode());
    assertEquals("NOT_FOUND", TfsHttp.json(get).get("error").asText());
    assertEquals(404, http.delete("/v1/files/t1/gone").statusCode());
    assertEquals(404, http.get("/v1/stat/t1/gone").statusCode());
  }

  @Test
  void shouldListEntriesWithTypesAndSizesWhenDirectoryIsListed() throws Exception {
    http.put("/v1/files/t2/a/x", random(10, 6));
    http.put("/v1/files/t2/a/y", random(20, 7));
    http.put("/v1/files/t2/b/z", random(30, 8));
    http.put("/v1/files/t2/top", new byte[0]);
    JsonNode t2 = TfsHttp.json(http.get("/v1/list/t2"));
    assertEquals(List.of("a:dir:0", "b:dir:0", "top:file:0"), entries(t2));
    assertEquals(List.of("x:file:10", "y:file:20"), entries(TfsHttp.json(http.get("/v1/list/t2/a/"))));
    assertTrue(entries(TfsHttp.json(http.get("/v1/list/"))).contains("t2:dir:0"));
    assertEquals(404, http.get("/v1/list/t2/nothing").statusCode());
    assertEquals(409, http.get("/v1/list/t2/top").statusCode());
    var empty = http.get("/v1/files/t2/top");
    assertEquals(200, empty.statusCode());
    assertEquals(0, empty.body().length);
    assertEquals("0", http.head("/v1/files/t2/top").headers().firstValue("Content-Length").orElseThrow());
  }

  @Test
  void shouldRefuseWithConflictWhenFileAndDirectoryCollide() throws Exception {
    assertEquals(201, http.put("/v1/files/t3/f", random(10, 9)).statusCode());
    var under = http.put("/v1/files/t3/f/g", random(10, 10));
    assertEquals(409, under.statusCode());
    assertEquals("CONFLICT", TfsHttp.json(under).get("error").asText());
    assertEquals(201, http.put("/v1/files/t3/d/g", random(10, 11)).statusCode());
    assertEquals(409, http.put("/v1/files/t3/d", random(10, 12)).statusCode());
  }

  @Test
  void shouldAnswerBadRequestWithJsonWhenPathOrPolicyIsBad() throws Exception {
    List<String> bad = new ArrayList<>(List.of("/v1/files/a/../b", "/v1/files/a/%2e%2e/b", "/v1/files/a/./b",
        "/v1/files/a/%2E", "/v1/files/a%2Fb", "/v1/files/a%00b", "/v1/files/a//b", "/v1/files/a/",
        "/v1/files/" + "x".repeat(256), "/v1/files/%ff"));
    bad.add("/v1/files" + ("/" + "y".repeat(250)).repeat(17));
    for (String path : bad) {
      var r = http.put(path, random(10, 13));
      assertEquals(400, r.statusCode(), path);
      JsonNode err = TfsHttp.json(r);
      assertEquals("BAD_PATH", err.get("error").asText(), path);
      assertFalse(err.get("message").asText().contains("Exception"), "no stack traces: " + err);
      assertEquals(400, http.get(path).statusCode(), path);
    }
    var policy = http.put("/v1/files/t4/p?policy=turbo", random(10, 14));
    assertEquals(400, policy.statusCode());
    assertEquals("BAD_REQUEST", TfsHttp.json(policy).get("error").asText());
    assertEquals(404, http.get("/v1/nothing-here").statusCode());
  }

  @Test
  void shouldKeepOneReplicaAndReportPolicyWhenKvcache() throws Exception {
    byte[] block = random(256 * 1024, 15);
    var put = http.put("/v1/files/t5/kv/block-0?policy=kvcache", block);
    assertEquals(201, put.statusCode(), body(put));
    assertEquals("kvcache", TfsHttp.json(put).get("policy").asText());
    JsonNode stat = TfsHttp.json(http.get("/v1/stat/t5/kv/block-0"));
    assertFalse(stat.get("underReplicated").asBoolean());
    assertEquals(1, stat.get("replicasWanted").asInt());
    assertArrayEquals(block, http.get("/v1/files/t5/kv/block-0").body());
  }

  @Test
  void shouldRefuseWithTooLargeWhenAnnouncedSizeIsOverTheLimit() throws Exception {
    // java.net.http will not send a Content-Length it does not compute, so this one goes by hand.
    try (var socket = new java.net.Socket("127.0.0.1", node.baseUri().getPort())) {
      socket.getOutputStream().write(("PUT /v1/files/t6/huge HTTP/1.1\r\nHost: t\r\n"
          + "Authorization: " + AdminToken.bearer(AdminToken.of(node)) + "\r\n"
          + "Content-Length: 5000000000000\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.US_ASCII)).readLine();
      assertTrue(status.startsWith("HTTP/1.1 413 "), status);
    }
    assertEquals(404, http.get("/v1/files/t6/huge").statusCode());
  }

  private void expectSlice(String range, byte[] bytes, int first, int last) throws Exception {
    HttpResponse<byte[]> r = http.get("/v1/files/t1/ranges", "Range", range);
    assertEquals(206, r.statusCode(), range);
    assertEquals("bytes " + first + "-" + last + "/" + bytes.length, r.headers().firstValue("Content-Range").orElseThrow());
    assertArrayEquals(Arrays.copyOfRange(bytes, first, last + 1), r.body(), range);
  }

  private static List<String> entries(JsonNode listing) {
    List<String> out = new ArrayList<>();
    listing.get("entries").forEach(e -> out.add(e.get("name").asText() + ":" + e.get("type").asText() + ":" + e.get("size").asLong()));
    return out;
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String crc(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes);
    return String.format("%08x", c.getValue());
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
  }
}
