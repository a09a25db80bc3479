package io.tensorfs.test;

import static io.tensorfs.test.Scrape.named;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.RepoPaths;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A node's Prometheus endpoint on a cluster of two: requests, cache hits and bytes from the cache move by
 * what a GET hit adds; the text passes {@code promtool check metrics}; every metric the Grafana dashboard
 * queries is there.
 */
class MetricsIT {
  private static final int MIB = 1 << 20;
  private static final Duration TICK = Duration.ofMillis(500);

  @Test
  void shouldCountAGetHitAndServeTextThatPromtoolAndTheDashboardAccept() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.metrics.tick-interval=" + TICK.toMillis() + "ms");
    // The transport's metrics are the engine's, the same over every wire; TCP spares two nodes starting at
    // once the race for one shared Aeron media driver.
    props.add("-Dtensorfs.transport.kind=tcp");
    try (LocalCluster cluster = new LocalCluster("metrics", 2, props).start()) {
      TfsHttp http = cluster.http(1);
      URI endpoint = Scrape.endpointOf(cluster.node(1).dataDir(), Duration.ofSeconds(30));
      byte[] data = SingleNodeIT.random(12 * MIB + 5, 71); // four chunks of 4 MiB: 4, 4, 4 MiB and 5 bytes
      int chunks = 4;
      assertEquals(201, http.put("/v1/files/m/a", data).statusCode());
      var miss = http.get("/v1/files/m/a");
      assertArrayEquals(data, miss.body());
      assertEquals("miss", miss.headers().firstValue("X-Tfs-Cache").orElse(""));
      assertEquals(404, http.get("/v1/files/m/none").statusCode());

      Predicate<Scrape.Series> hits = named("tensorfs_cache_hits_total");
      Predicate<Scrape.Series> fromCache = named("tensorfs_files_served_bytes_total", "source", "cache");
      Predicate<Scrape.Series> fromDisk = named("tensorfs_files_served_bytes_total", "source", "disk");
      Predicate<Scrape.Series> gets = named("tensorfs_gateway_requests_total", "operation", "files.get", "status", "200");
      Predicate<Scrape.Series> notFound = named("tensorfs_gateway_requests_total", "operation", "files.get", "status", "404");
      Predicate<Scrape.Series> puts = named("tensorfs_gateway_requests_total", "api", "http", "operation", "files.put",
          "status", "201");
      List<Predicate<Scrape.Series>> watched = List.of(hits, fromCache, fromDisk, gets, notFound, puts);
      Scrape before = Scrape.settled(endpoint, TICK.multipliedBy(3), watched, Duration.ofSeconds(60));
      assertEquals(1, before.sum(puts), "the PUT, answered 201 by the HTTP API");
      assertEquals(1, before.sum(notFound), "the GET of a missing file, answered 404");
      assertTrue(before.sum(fromDisk) >= data.length, "the miss read the file from this node's disk: " + before.sum(fromDisk));
      assertEquals(1, before.sum(gets), "the GET that missed");

      var hit = http.get("/v1/files/m/a");
      assertArrayEquals(data, hit.body());
      assertEquals("hit", hit.headers().firstValue("X-Tfs-Cache").orElse(""));
      Scrape.await(endpoint, s -> s.sum(gets) > before.sum(gets), Duration.ofSeconds(30));
      Scrape after = Scrape.settled(endpoint, TICK.multipliedBy(3), watched, Duration.ofSeconds(60));
      assertEquals(before.sum(hits) + chunks, after.sum(hits), "one hit per chunk of the file");
      assertEquals(before.sum(fromCache) + data.length, after.sum(fromCache), "every byte of the hit from the cache");
      assertEquals(before.sum(fromDisk), after.sum(fromDisk), "nothing more from the disk");
      assertEquals(before.sum(gets) + 1, after.sum(gets), "one more GET answered 200");
      assertTrue(after.sum(named("tensorfs_gateway_request_latency_seconds_count", "operation", "files.get")) >= 2);

      promtoolAccepts(after.text());
      everyDashboardMetricIsIn(after);
    }
  }

  private static void promtoolAccepts(String text) throws Exception {
    Path file = RepoPaths.scratch("metrics").resolve("node-1.prom");
    Files.writeString(file, text);
    Process p;
    try {
      p = new ProcessBuilder("promtool", "check", "metrics").redirectInput(file.toFile()).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new AssertionError("promtool is missing: run scripts/ensure-deps (Debian's prometheus package)", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, p.exitValue(), "promtool check metrics on " + file + ":\n" + out);
  }

  private static void everyDashboardMetricIsIn(Scrape scrape) throws Exception {
    JsonNode dashboard = TfsHttp.JSON.readTree(RepoPaths.root().resolve("deploy/grafana/tensorfs.json").toFile());
    Set<String> queried = new TreeSet<>();
    Pattern metric = Pattern.compile("\\b((?:tensorfs|jvm|process)_[a-z0-9_]+)\\b");
    for (JsonNode expr : dashboard.findValues("expr")) {
      Matcher m = metric.matcher(expr.asText());
      while (m.find()) queried.add(m.group(1));
    }
    assertTrue(queried.size() > 30, "the dashboard queries " + queried);
    Set<String> present = scrape.names();
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(present);
    // A node without a GPU has no GPU copy engine, so no GPU series: those panels stay empty there.
    boolean gpu = present.stream().anyMatch(n -> n.startsWith("tensorfs_gpu_"));
    if (!gpu) {
      Set<String> gpuOnly = new TreeSet<>();
      for (String n : missing) if (n.startsWith("tensorfs_gpu_")) gpuOnly.add(n);
      System.err.println("no GPU on this node: not checked " + gpuOnly);
      missing.removeAll(gpuOnly);
    }
    assertEquals(Set.of(), missing, "metrics the dashboard queries that the node does not serve; it serves " + present);
  }
}
