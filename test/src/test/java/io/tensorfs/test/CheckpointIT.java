package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Checkpoints through a real node process over HTTP, as curl would drive them. The node runs with a
 * 512 MiB heap and a 512 MiB direct-memory limit: the large save ({@code -Dtfs.ckpt.bytes}, 3 GiB by
 * default) only passes if the node takes bytes as fast as they become durable and holds no more.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointIT {
  static final int MIB = 1 << 20;
  static final String API = "/v1/checkpoints";
  private NodeProcess node;
  private TfsHttp http;

  @BeforeAll
  void startNode() throws Exception {
    var cassandra = SharedCassandra.get();
    SharedCassandra.deleteTree(RepoPaths.scratch("checkpoints"));
    node = new NodeProcess("node-1", RepoPaths.scratch("checkpoints").resolve("node-1"), cassandra.contactPoint(),
        "it_ckpt", nodeProps()).start(Duration.ofMinutes(3));
    http = new TfsHttp(node);
  }

  /** 4 MiB parts and chunks; a bounded heap and direct memory (the harness gives -Xmx512m). */
  static List<String> nodeProps() {
    return List.of("-Dtensorfs.gateway.chunk-size=4MiB", "-Dtensorfs.checkpoints.part-size=4MiB",
        "-XX:MaxDirectMemorySize=512m");
  }

  @AfterAll
  void stopNode() throws Exception {
    if (node != null) node.close();
  }

  static HttpResponse<byte[]> post(TfsHttp http, String rawPath) throws Exception {
    return http.send("POST", rawPath, HttpRequest.BodyPublishers.noBody());
  }

  static void ok(HttpResponse<byte[]> r, int status) {
    assertEquals(status, r.statusCode(), new String(r.body()));
  }

  static void begin(TfsHttp http, String name, int ranks, String more) throws Exception {
    ok(post(http, API + name + "?op=begin&ranks=" + ranks + more), 201);
  }

  @Test
  void shouldRestoreThreeRanksByteExactWhenSavedInParallelAndCommitted() throws Exception {
    String name = "/t/train/step-000100";
    begin(http, name, 3, "");
    List<byte[]> shards = new ArrayList<>();
    List<CompletableFuture<HttpResponse<byte[]>>> puts = new ArrayList<>();
    for (int rank = 0; rank < 3; rank++) {
      byte[] shard = SingleNodeIT.random(9 * MIB + 1000 * rank, 100 + rank);
      shards.add(shard);
      puts.add(http.client().sendAsync(HttpRequest.newBuilder(URI.create(node.baseUri() + API + name + "/" + rank
              + "/model%2Fshard.pt")).PUT(HttpRequest.BodyPublishers.ofByteArray(shard)).build(),
          HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (int rank = 0; rank < 3; rank++) {
      var put = puts.get(rank).get(120, TimeUnit.SECONDS);
      ok(put, 200);
      assertEquals(shards.get(rank).length, TfsHttp.json(put).get("acknowledged").asLong());
      ok(http.put(API + name + "/" + rank + "/meta", ("rank " + rank).getBytes()), 200);
      ok(post(http, API + name + "/" + rank + "?op=done"), 200);
    }
    assertEquals(404, http.get(API + name + "/0/meta").statusCode(), "nothing is readable before the commit");

    ok(post(http, API + name + "?op=commit"), 200);

    for (int rank = 0; rank < 3; rank++) {
      var get = http.get(API + name + "/" + rank + "/model%2Fshard.pt");
      ok(get, 200);
      assertArrayEquals(shards.get(rank), get.body(), "rank " + rank);
      assertArrayEquals(("rank " + rank).getBytes(), http.get(API + name + "/" + rank + "/meta").body());
    }
    JsonNode manifest = TfsHttp.json(http.get(API + name + "?manifest"));
    assertEquals("committed", manifest.get("state").asText());
    assertEquals(6, manifest.get("manifest").size());
    assertEquals(name, TfsHttp.json(http.get(API + "/t/train?latest")).get("name").asText());
  }

  @Test
  void shouldAnswer409NamingMissingRanksWhenCommittedEarly() throws Exception {
    String name = "/t/missing/s1";
    begin(http, name, 3, "");
    ok(http.put(API + name + "/1/a", new byte[10]), 200);
    ok(post(http, API + name + "/1?op=done"), 200);

    var commit = post(http, API + name + "?op=commit");

    assertEquals(409, commit.statusCode());
    JsonNode error = TfsHttp.json(commit);
    assertEquals("CONFLICT", error.get("error").asText());
    assertTrue(error.get("message").asText().contains("missing ranks [0, 2]"), error.get("message").asText());
    assertEquals(404, http.get(API + "/t/missing?latest").statusCode());
  }

  @Test
  void shouldAnswer400WhenItemIsLargerThanDeclared() throws Exception {
    String name = "/t/large/s1";
    begin(http, name, 1, "");

    var put = http.put(API + name + "/0/w?size=100", new byte[101]);

    assertEquals(400, put.statusCode(), new String(put.body()));
    assertTrue(TfsHttp.json(put).get("message").asText().contains("larger than declared"));
  }

  @Test
  void shouldAnswer404ForUnknownCheckpoint() throws Exception {
    assertEquals(404, http.get(API + "/t/nojob/nostep?manifest").statusCode());
    assertEquals(404, http.get(API + "/t/nojob/nostep/0/w").statusCode());
    assertEquals(404, post(http, API + "/t/nojob/nostep?op=commit").statusCode());
    assertEquals(404, http.delete(API + "/t/nojob/nostep").statusCode());
    assertEquals(0, TfsHttp.json(http.get(API + "/t/nojob")).get("checkpoints").size());
  }

  @Test
  void shouldRefusePlainWritesAndDeletesOfCheckpointFiles() throws Exception {
    String name = "/t/guard/s1";
    begin(http, name, 1, "");
    ok(http.put(API + name + "/0/w", new byte[1000]), 200);
    ok(post(http, API + name + "/0?op=done"), 200);
    ok(post(http, API + name + "?op=commit"), 200);
    JsonNode dirs = TfsHttp.json(http.get("/v1/list/t/guard/.checkpoints"));
    String part = "/t/guard/.checkpoints/" + dirs.get("entries").get(0).get("name").asText() + "/0/0.0";

    assertEquals(400, http.put("/v1/files" + part, new byte[3]).statusCode());
    assertEquals(400, http.delete("/v1/files" + part).statusCode());
    assertEquals(1000, http.get("/v1/files" + part).body().length, "the part stays readable and intact");
  }

  @Test
  void shouldRestorePreviousUntouchedWhileAnotherSaveOfTheJobRuns() throws Exception {
    byte[] previous = SingleNodeIT.random(6 * MIB + 3, 7);
    begin(http, "/t/busy/s1", 1, "");
    ok(http.put(API + "/t/busy/s1/0/w", previous), 200);
    ok(post(http, API + "/t/busy/s1/0?op=done"), 200);
    ok(post(http, API + "/t/busy/s1?op=commit"), 200);

    begin(http, "/t/busy/s2", 1, "");
    CountDownLatch hold = new CountDownLatch(1);
    var stalled = http.client().sendAsync(HttpRequest.newBuilder(URI.create(node.baseUri() + API + "/t/busy/s2/0/w"))
            .PUT(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> new StallingStream(10 * MIB, hold)), 64L * MIB))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
    awaitAcknowledged("/t/busy/s2", 8L * MIB);

    try {
      assertArrayEquals(previous, http.get(API + "/t/busy/s1/0/w").body(), "the previous checkpoint while s2 saves");
      JsonNode list = TfsHttp.json(http.get(API + "/t/busy"));
      assertEquals(1, list.get("checkpoints").size(), "only committed checkpoints are listed");
      assertEquals("/t/busy/s1", TfsHttp.json(http.get(API + "/t/busy?latest")).get("name").asText());
    } finally {
      hold.countDown();
    }
    stalled.handle((r, e) -> null).get(60, TimeUnit.SECONDS);
    ok(post(http, API + "/t/busy/s2?op=abort"), 200);
    assertArrayEquals(previous, http.get(API + "/t/busy/s1/0/w").body());
  }

  @Test
  void shouldResumeFromAcknowledgedOffsetWithoutResendingFromZero() throws Exception {
    String name = "/t/resume/s1";
    byte[] item = SingleNodeIT.random(10 * MIB + 5, 9);
    begin(http, name, 1, "");

    // The first attempt stops 6 MiB in: the second 4 MiB part is cut off, the first is acknowledged.
    var first = http.put(API + name + "/0/w?size=" + item.length, java.util.Arrays.copyOf(item, 6 * MIB));
    ok(first, 200);
    assertEquals(4L * MIB, TfsHttp.json(first).get("acknowledged").asLong());
    var fromZero = http.put(API + name + "/0/w", item);
    assertEquals(412, fromZero.statusCode());
    assertTrue(TfsHttp.json(fromZero).get("message").asText().contains("acknowledged up to offset " + 4 * MIB));

    byte[] rest = java.util.Arrays.copyOfRange(item, 4 * MIB, item.length);
    var resumed = http.put(API + name + "/0/w?offset=" + 4 * MIB, rest);
    ok(resumed, 200);
    assertEquals(item.length, TfsHttp.json(resumed).get("acknowledged").asLong());
    ok(post(http, API + name + "/0?op=done"), 200);
    ok(post(http, API + name + "?op=commit"), 200);
    assertArrayEquals(item, http.get(API + name + "/0/w").body());
  }

  @Test
  void shouldKeepNewestNWhenKeepLastIsSet() throws Exception {
    String firstParts = null;
    for (int i = 1; i <= 4; i++) {
      String name = "/t/keep/s" + i;
      begin(http, name, 1, "&keep_last=2");
      ok(http.put(API + name + "/0/w", SingleNodeIT.random(1000, i)), 200);
      ok(post(http, API + name + "/0?op=done"), 200);
      ok(post(http, API + name + "?op=commit"), 200);
      if (i == 1) {
        firstParts = "/v1/files/t/keep/.checkpoints/"
            + TfsHttp.json(http.get("/v1/list/t/keep/.checkpoints")).get("entries").get(0).get("name").asText() + "/0/0.0";
        ok(http.get(firstParts), 200);
      }
    }

    JsonNode list = TfsHttp.json(http.get(API + "/t/keep"));
    assertEquals(2, list.get("checkpoints").size());
    assertEquals("/t/keep/s3", list.get("checkpoints").get(0).get("name").asText());
    assertEquals("/t/keep/s4", list.get("checkpoints").get(1).get("name").asText());
    assertEquals(404, http.get(API + "/t/keep/s1/0/w").statusCode());
    awaitGone(firstParts);
  }

  /**
   * A checkpoint far larger than the node's heap and direct memory, saved over HTTP and restored; every
   * byte is checked on the way back against the same generator. Prints the rates.
   */
  @Test
  void shouldSaveAndRestoreLargeCheckpointThroughBoundedNodeMemory() throws Exception {
    long size = Long.getLong("tfs.ckpt.bytes", 3L << 30);
    String name = "/t/big/s1";
    begin(http, name, 1, "");
    long t0 = System.nanoTime();
    var put = http.client().send(HttpRequest.newBuilder(URI.create(node.baseUri() + API + name + "/0/state"))
            .timeout(Duration.ofHours(2))
            .PUT(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> new Generated(size, 42)), size))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
    long saveNs = System.nanoTime() - t0;
    ok(put, 200);
    ok(post(http, API + name + "/0?op=done"), 200);
    ok(post(http, API + name + "?op=commit"), 200);

    long t1 = System.nanoTime();
    var get = http.client().send(HttpRequest.newBuilder(URI.create(node.baseUri() + API + name + "/0/state"))
        .timeout(Duration.ofHours(2)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, get.statusCode());
    long checked = 0;
    try (InputStream restored = get.body(); InputStream expected = new Generated(size, 42)) {
      byte[] a = new byte[1 << 20];
      byte[] b = new byte[1 << 20];
      int n;
      while ((n = restored.read(a)) > 0) {
        int m = expected.readNBytes(b, 0, n);
        assertEquals(n, m, "restored more bytes than saved");
        assertTrue(java.util.Arrays.equals(a, 0, n, b, 0, n), "bytes differ near offset " + checked);
        checked += n;
      }
    }
    long restoreNs = System.nanoTime() - t1;
    assertEquals(size, checked);
    assertTrue(node.alive(), "the node is alive after the save");
    System.out.printf("checkpoint of %d MiB through a node with -Xmx512m -XX:MaxDirectMemorySize=512m: "
        + "save %.0f MiB/s, restore (verified) %.0f MiB/s%n", size >> 20,
        (size / (double) MIB) / (saveNs / 1e9), (size / (double) MIB) / (restoreNs / 1e9));
  }

  private void awaitAcknowledged(String name, long atLeast) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      JsonNode items = TfsHttp.json(http.get(API + name + "?manifest")).get("manifest");
      if (items.size() > 0 && items.get(0).get("acknowledged").asLong() >= atLeast) return;
      TimeUnit.MILLISECONDS.sleep(50); // polling another process's state
    }
    throw new AssertionError(name + " never reached " + atLeast + " acknowledged bytes");
  }

  /** Waits until the file at {@code rawPath} is gone: removed checkpoints' files are deleted in the background. */
  private void awaitGone(String rawPath) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      if (http.get(rawPath).statusCode() == 404) return;
      TimeUnit.MILLISECONDS.sleep(100); // polling another process's state
    }
    throw new AssertionError(rawPath + " is still there");
  }

  /** Deterministic pseudo-random bytes (xorshift), generated as they are read: no copy held in memory. */
  static final class Generated extends InputStream {
    private final long size;
    private long state;
    private long pos;

    Generated(long size, long seed) {
      this.size = size;
      this.state = seed * 0x9E3779B97F4A7C15L + 1;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) return -1;
      int n = (int) Math.min(len, size - pos);
      for (int i = 0; i < n; i++) {
        if (((pos + i) & 7) == 0) {
          state ^= state << 13;
          state ^= state >>> 7;
          state ^= state << 17;
        }
        b[off + i] = (byte) (state >>> (((pos + i) & 7) * 8));
      }
      pos += n;
      return n;
    }
  }
}
