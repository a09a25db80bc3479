package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The memory cache tier through the HTTP API of a real node: hits, misses, hints, pins, memory. */
class CacheIT {
  private static final int MIB = 1 << 20;

  @Test
  void shouldServeHitsAfterWillneedAndMissesAfterDontneed() throws Exception {
    try (NodeProcess node = start("cache_hints", "64MiB")) {
      TfsHttp http = new TfsHttp(node);
      byte[] a = SingleNodeIT.random(12 * MIB + 5, 31);
      byte[] b = SingleNodeIT.random(8 * MIB, 32);
      assertEquals(201, http.put("/v1/files/c/a", a).statusCode());
      assertEquals(201, http.put("/v1/files/c/sub/b", b).statusCode());
      long baseline = cache(http).get("usedBytes").asLong();
      assertEquals(0, baseline, "persistent writes go to disk, not into the cache");

      var first = http.get("/v1/files/c/a");
      assertArrayEquals(a, first.body());
      assertEquals("miss", cacheHeader(first));
      var second = http.get("/v1/files/c/a");
      assertArrayEquals(a, second.body());
      assertEquals("hit", cacheHeader(second), "a read-through leaves the file resident");
      var range = http.get("/v1/files/c/a", "Range", "bytes=4194300-8388700");
      assertEquals(206, range.statusCode());
      assertArrayEquals(Arrays.copyOfRange(a, 4194300, 8388701), range.body());
      assertEquals("hit", cacheHeader(range));

      JsonNode dropped = hint(http, "/c/a", "dontneed", 200);
      assertEquals(1, dropped.get("files").asInt());
      assertEquals("miss", cacheHeader(http.get("/v1/files/c/a")));

      JsonNode warmed = hint(http, "/c", "willneed", 200);
      assertEquals(2, warmed.get("files").asInt(), "a directory hint reaches the files under it: " + warmed);
      assertEquals(a.length + b.length, warmed.get("bytes").asLong());
      var hit = http.get("/v1/files/c/sub/b");
      assertEquals("hit", cacheHeader(hit));
      assertArrayEquals(b, hit.body());
      JsonNode stats = cache(http);
      assertTrue(stats.get("usedBytes").asLong() >= a.length + b.length, stats.toString());
      assertTrue(stats.get("hits").asLong() > 0 && stats.get("misses").asLong() > 0, stats.toString());
      assertEquals(64L * MIB, stats.get("capacityBytes").asLong());
      assertTrue(List.of("hugetlbfs", "thp", "thp-requested", "regular").contains(stats.get("memoryKind").asText()));

      hint(http, "/c", "dontneed", 200);
      assertEquals(baseline, cache(http).get("usedBytes").asLong(), "memory back to baseline after dontneed");
      assertEquals(0, cache(http).get("files").asInt());

      assertEquals(202, post(http, "/v1/cache/c/a?op=willneed&async=true").statusCode());
      // Pages are held from the start of a load (usedBytes); the file is readable from memory once resident.
      awaitResident(http, a.length, Duration.ofSeconds(30));
      assertEquals("hit", cacheHeader(http.get("/v1/files/c/a")), "the async willneed loaded the file");

      assertEquals(400, post(http, "/v1/cache/c/a?op=maybe").statusCode());
      assertEquals(404, post(http, "/v1/cache/c/nothing?op=willneed").statusCode());
    }
  }

  @Test
  void shouldKeepAPinnedFileWhileOthersAreEvicted() throws Exception {
    try (NodeProcess node = start("cache_pin", "32MiB")) {
      TfsHttp http = new TfsHttp(node);
      byte[] model = SingleNodeIT.random(12 * MIB, 41);
      assertEquals(201, http.put("/v1/files/p/model", model).statusCode());
      for (int i = 0; i < 3; i++) {
        assertEquals(201, http.put("/v1/files/p/other" + i, SingleNodeIT.random(12 * MIB, 50 + i)).statusCode());
      }
      hint(http, "/p/model", "pin", 200);
      hint(http, "/p/model", "willneed", 200);
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) assertEquals(200, http.get("/v1/files/p/other" + i).statusCode());
      }
      JsonNode stats = cache(http);
      assertTrue(stats.get("evictions").asLong() >= 2, "the other files pushed each other out: " + stats);
      assertEquals(12L * MIB, stats.get("pinnedBytes").asLong(), stats.toString());
      var pinned = http.get("/v1/files/p/model");
      assertEquals("hit", cacheHeader(pinned), "a pinned file survives the pressure");
      assertArrayEquals(model, pinned.body());

      hint(http, "/p/model", "unpin", 200);
      for (int i = 0; i < 3; i++) assertEquals(200, http.get("/v1/files/p/other" + i).statusCode());
      assertEquals("miss", cacheHeader(http.get("/v1/files/p/model")), "unpinned, it is evicted like the rest");
    }
  }

  @Test
  void shouldReadPastAFullCacheAndRefuseAWillneedItCannotHold() throws Exception {
    try (NodeProcess node = start("cache_full", "16MiB")) {
      TfsHttp http = new TfsHttp(node);
      byte[] model = SingleNodeIT.random(16 * MIB, 61);
      byte[] other = SingleNodeIT.random(9 * MIB + 11, 62);
      assertEquals(201, http.put("/v1/files/full/model", model).statusCode());
      assertEquals(201, http.put("/v1/files/full/other", other).statusCode());
      hint(http, "/full/model", "pin", 200);
      hint(http, "/full/model", "willneed", 200);
      assertEquals(16L * MIB, cache(http).get("pinnedBytes").asLong(), "every page holds the pinned file");

      var past = http.get("/v1/files/full/other");
      assertEquals("miss", cacheHeader(past));
      assertArrayEquals(other, past.body(), "served from disk past the full cache");
      var range = http.get("/v1/files/full/other", "Range", "bytes=5000000-");
      assertArrayEquals(Arrays.copyOfRange(other, 5_000_000, other.length), range.body());

      JsonNode refused = hint(http, "/full/other", "willneed", 507);
      assertEquals("NO_SPACE", refused.get("error").asText(), refused.toString());
      assertEquals("hit", cacheHeader(http.get("/v1/files/full/model")), "the pinned file stayed");
    }
  }

  private static NodeProcess start(String name, String capacity) throws Exception {
    var cassandra = SharedCassandra.get();
    Path dir = RepoPaths.scratch(name);
    SharedCassandra.deleteTree(dir);
    return new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_" + name,
        List.of("-Dtensorfs.gateway.chunk-size=4MiB", "-Dtensorfs.cache.capacity=" + capacity,
            "-Dtensorfs.cache.page-size=4MiB"))
        .start(Duration.ofMinutes(3));
  }

  static JsonNode cache(TfsHttp http) throws Exception {
    var r = http.get("/v1/cache");
    assertEquals(200, r.statusCode(), new String(r.body()));
    return TfsHttp.json(r);
  }

  static JsonNode hint(TfsHttp http, String path, String op, int status) throws Exception {
    var r = post(http, "/v1/cache" + path + "?op=" + op);
    assertEquals(status, r.statusCode(), op + " " + path + ": " + new String(r.body()));
    return TfsHttp.json(r);
  }

  static HttpResponse<byte[]> post(TfsHttp http, String rawPath) throws Exception {
    return http.send("POST", rawPath, HttpRequest.BodyPublishers.noBody());
  }

  static String cacheHeader(HttpResponse<byte[]> r) {
    assertEquals(200 / 100, r.statusCode() / 100, "status " + r.statusCode() + ": " + new String(r.body()));
    return r.headers().firstValue("X-Tfs-Cache").orElse("(none)");
  }

  /** Waits, without reading the file (a read would load it), until the cache holds {@code bytes}. */
  private static void awaitResident(TfsHttp http, long bytes, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < until) {
      if (cache(http).get("residentBytes").asLong() >= bytes) return;
      TimeUnit.MILLISECONDS.sleep(100); // polling the node's cache figures
    }
    throw new AssertionError("the cache never held " + bytes + " resident bytes: " + cache(http));
  }
}
