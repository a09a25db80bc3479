package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Three node processes; node-1 is drained, so a file written through node-2 has its two replicas on node-2 and
 * node-3 only. node-1 reads it cold: its cache loads each chunk from both holders at once, segment by segment,
 * and the bytes are exact; each holder's transport sent about half of them. Then a holder is killed while
 * node-1 reads a larger file: the segments it was serving go on from the other holder, and the bytes are exact
 * all the same. Over Aeron IPC (one media driver of the host's, outside the nodes, so a killed node leaves it
 * running) and TCP.
 */
class SpreadReadIT {
  private static final int MIB = 1 << 20;
  private static final Duration TICK = Duration.ofMillis(500);
  private static final Predicate<Scrape.Series> SENT = Scrape.named("tensorfs_transport_sent_bytes_total");
  private static final Predicate<Scrape.Series> IN_PLACE = Scrape.named("tensorfs_transport_tcp_sent_in_place_bytes_total");

  @Test
  void shouldSpreadAColdReadOverBothHoldersAndKeepItExactWhenOneDiesOverAeronIpc() throws Exception {
    spreadRead("aeron-ipc");
  }

  @Test
  void shouldSpreadAColdReadOverBothHoldersAndKeepItExactWhenOneDiesOverTcp() throws Exception {
    spreadRead("tcp");
  }

  private static void spreadRead(String transport) throws Exception {
    String driverDir = "/dev/shm/tensorfs-aeron-spread-" + ProcessHandle.current().pid();
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    props.add("-Dtensorfs.metrics.tick-interval=" + TICK.toMillis() + "ms");
    props.add("-Dtensorfs.sharding.drain.poll-interval=500ms");
    // Once node-3 is killed node-2 is the only holder left, and a transfer that hears nothing for the idle
    // timeout fails the read: on a loaded two-core machine a node's JVM stalls for several seconds at times.
    props.add("-Dtensorfs.transport.idle-timeout=10s");
    // Spreading is off by default (one segment per page, one at a time: see reference.conf); on here.
    props.add("-Dtensorfs.sharding.remote-read.segment-bytes=1MiB");
    props.add("-Dtensorfs.sharding.remote-read.in-flight=4");
    if (transport.equals("tcp")) {
      props.add("-Dtensorfs.transport.kind=tcp");
    } else {
      props.addAll(List.of("-Dtensorfs.transport.kind=aeron", "-Dtensorfs.transport.aeron.mode=ipc",
          "-Dtensorfs.transport.aeron.embedded-driver=off", "-Dtensorfs.transport.aeron.dir=" + driverDir));
    }
    Process driver = transport.equals("tcp") ? null : startDriver(driverDir);
    try (LocalCluster cluster = new LocalCluster("spread_" + transport.replace("-", "_"), 3, props)) {
      cluster.start(); // inside the try, so that the nodes of a failed start are stopped too
      drainNode1(cluster);

      // Written through node-2 with both replicas durable before the 201: node-2 and node-3 hold every chunk.
      byte[] small = SingleNodeIT.random(24 * MIB + 5, 81); // seven chunks of 4 MiB
      assertEquals(201, cluster.http(2).put("/v1/files/s/small?policy=persistent(2,2)", small).statusCode());
      assertHeldByNodes2And3(cluster, "/s/small");

      URI node2 = Scrape.endpointOf(cluster.node(2).dataDir(), Duration.ofSeconds(30));
      URI node3 = Scrape.endpointOf(cluster.node(3).dataDir(), Duration.ofSeconds(30));
      double sent2 = settledSent(node2);
      double sent3 = settledSent(node3);
      double inPlace = sum(node2, IN_PLACE) + sum(node3, IN_PLACE);
      var cold = cluster.http(1).get("/v1/files/s/small");
      assertEquals(200, cold.statusCode());
      assertArrayEquals(small, cold.body(), "a cold read through node-1, from node-2 and node-3 at once");
      double from2 = settledSent(node2) - sent2;
      double from3 = settledSent(node3) - sent3;
      if (transport.equals("tcp")) {
        // Served from cache pages or read from disk into the serve region: every payload written from where it lies.
        double written = sum(node2, IN_PLACE) + sum(node3, IN_PLACE) - inPlace;
        assertTrue(written >= small.length && written <= from2 + from3,
            "every payload byte written from its pages, none copied: " + written + " of " + small.length + " bytes");
      }
      // Each chunk is one 4 MiB page of four 1 MiB segments, two from each holder: each sent half, plus frame headers.
      assertTrue(from2 >= small.length / 3.0 && from3 >= small.length / 3.0,
          "both holders served about half: node-2 sent " + from2 + " bytes, node-3 " + from3);

      byte[] large = SingleNodeIT.random(48 * MIB + 11, 82);
      assertEquals(201, cluster.http(2).put("/v1/files/s/large?policy=persistent(2,2)", large).statusCode());
      assertHeldByNodes2And3(cluster, "/s/large");
      assertArrayEquals(large, readKillingMidway(cluster, "/v1/files/s/large", 3),
          "a cold read through node-1 whose holder node-3 died mid-way");
    } finally {
      if (driver != null) {
        driver.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        SharedCassandra.deleteTree(Path.of(driverDir));
      }
    }
  }

  /** Drains node-1 (it holds nothing, so at once): new replicas go to node-2 and node-3 only. */
  private static void drainNode1(LocalCluster cluster) throws Exception {
    var started = cluster.http(1).send("POST", "/v1/admin/nodes/node-1/drain", HttpRequest.BodyPublishers.noBody());
    assertEquals(202, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode d = TfsHttp.json(cluster.http(2).get("/v1/admin/nodes/node-1/drain"));
      if (d.get("state").asText().equals("drained")) return;
      if (System.nanoTime() > until) throw new AssertionError("node-1 never drained: " + d);
      TimeUnit.MILLISECONDS.sleep(200); // polling the drain's progress
    }
  }

  private static void assertHeldByNodes2And3(LocalCluster cluster, String path) throws Exception {
    JsonNode stat = cluster.awaitStat(1, path, s -> true, Duration.ofSeconds(10));
    for (Set<String> nodes : LocalCluster.cleanNodes(stat)) {
      assertEquals(Set.of("node-2", "node-3"), nodes, "a CLEAN replica on node-2 and node-3, none on node-1: " + stat);
    }
  }

  /** The bytes a node's transport has sent, once its metrics stop moving. */
  private static double settledSent(URI endpoint) throws Exception {
    return sum(endpoint, SENT);
  }

  /** The sum of a counter's series on a node, once its metrics stop moving. */
  private static double sum(URI endpoint, Predicate<Scrape.Series> counter) throws Exception {
    return Scrape.settled(endpoint, TICK.multipliedBy(3), List.of(counter), Duration.ofSeconds(30)).sum(counter);
  }

  /** GETs {@code path} through node-1, killing node {@code victim} once the first 8 MiB have arrived. */
  private static byte[] readKillingMidway(LocalCluster cluster, String path, int victim) throws Exception {
    TfsHttp http = cluster.http(1);
    HttpResponse<InputStream> r = http.client().send(
        HttpRequest.newBuilder(URI.create(http.base() + path)).timeout(Duration.ofMinutes(2)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    try (InputStream in = r.body()) {
      byte[] first = in.readNBytes(8 * MIB);
      cluster.node(victim).kill();
      byte[] rest;
      try {
        rest = in.readAllBytes();
      } catch (IOException cut) {
        // The reader cut its answer: say why, from the exception's causes and what the nodes left logged.
        throw new AssertionError("the answer was cut after node-" + victim + " died: " + causes(cut)
            + "\nnode-1's warnings:\n" + warnings(cluster.node(1).dataDir().resolve("node.log"))
            + "\nnode-2's warnings:\n" + warnings(cluster.node(2).dataDir().resolve("node.log")), cut);
      }
      byte[] all = new byte[first.length + rest.length];
      System.arraycopy(first, 0, all, 0, first.length);
      System.arraycopy(rest, 0, all, first.length, rest.length);
      return all;
    }
  }

  private static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) out.append(t == e ? "" : " <- ").append(t);
    return out.toString();
  }

  /** The WARN and ERROR lines of a node's log, the last 40 of them. */
  private static String warnings(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log).stream()
        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** Starts the host's shared media driver and waits until it says it runs. */
  private static Process startDriver(String driverDir) throws IOException, InterruptedException {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Dtensorfs.transport.aeron.dir=" + driverDir,
        "-cp", RepoPaths.nodeClasspath(), "io.tensorfs.transport.MediaDriverMain");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("Aeron media driver running")) {
        Thread drain = new Thread(() -> {
          try {
            out.transferTo(java.io.Writer.nullWriter());
          } catch (IOException ended) {
            // the driver stopped
          }
        }, "media-driver-output");
        drain.setDaemon(true);
        drain.start();
        return p;
      }
    }
    throw new IOException("the media driver exited before it ran (exit " + p.waitFor() + ")");
  }
}
