package io.tensorfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.Crc32c;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.BearerHttpClient;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./tfs bench scale}: the aggregate read throughput of 1, 2, 4, 8 nodes on this host, each node in
 * a network namespace of its own (its own address on one bridge; with Aeron, UDP through a media driver
 * per node). Every node holds {@code clients} files of its own ({@code persistent(1,1)}, written through
 * it, warmed into its memory by WILLNEED), and {@code clients} HTTP clients (threads of this JVM, across
 * the bridge) read through every node at once, each a file held by another node, so every byte crosses
 * the transport once (node to node) and the bridge twice (transport, then HTTP to the client); each file
 * is read by one client per round, and every cache is dropped before a round (DONTNEED), so no read is
 * served from a copy the reader kept. With one node the reads are local: no transport. Beside each
 * round, the limit: the same number of loopback TCP copies of the same sizes, at once, in this JVM.
 * Every GET is checked against the CRC32C of what was PUT.
 */
final class ScaleBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Growth below this factor from one node count to the next counts as no longer growing. */
  private static final double GROWS = 1.15;

  /**
   * One timed round: the GETs' seconds (first start to last end), the loopback limit's, the bytes the
   * bridge carried, and the UDP datagrams dropped at full receive buffers.
   */
  private record Round(double seconds, double loopSeconds, long bridgeBytes, long udpDrops) {}

  private ScaleBench() {}

  static void run(String[] args) throws Exception {
    List<Integer> counts = List.of(1, 2, 4, 8);
    long fileMiB = 256;
    int clients = 2;
    int rounds = 3;
    String transport = "aeron-udp";
    int linkMtu = 0;
    boolean cassandraMetadata = false;
    List<String> nodeOpts = new ArrayList<>();
    Path dir = RepoPaths.root().resolve("test/target/bench-scale");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--nodes" -> counts = Arrays.stream(args[i + 1].split(",")).map(String::trim).map(Integer::parseInt).toList();
        case "--file-mib" -> fileMiB = Long.parseLong(args[i + 1]);
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--transport" -> transport = args[i + 1];
        case "--link-mtu" -> linkMtu = Integer.parseInt(args[i + 1]);
        case "--metadata" -> cassandraMetadata = switch (args[i + 1]) {
          case "memory" -> false;
          case "cassandra" -> true;
          default -> throw new IllegalArgumentException("--metadata memory|cassandra");
        };
        case "--node-opt" -> nodeOpts.add(args[i + 1]);
        case "--dir" -> dir = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (args.length % 2 != 0) throw new IllegalArgumentException("option " + args[args.length - 1] + " has no value");
    long size = fileMiB << 20;
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    Pattern bytes = new Pattern(43);
    int expectedCrc = bytes.crcOf(size);

    System.out.printf("tfs bench scale: nodes %s, each in its own network namespace, %s; %d files of %d MiB per node,"
            + " %d clients per node; %d rounds; links of MTU %s; %d cores, load average %s; metadata %s%n",
        counts, transport, clients, fileMiB, clients, rounds, linkMtu == 0 ? "1500 (default)" : linkMtu, Runtime.getRuntime().availableProcessors(), loadAverage(),
        cassandraMetadata ? "in Cassandra" : "in memory");
    EmbeddedCassandra cassandra = cassandraMetadata ? new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib())) : null;
    InetSocketAddress cql = cassandra == null ? null : cassandra.start().cqlAddress();
    Map<Integer, List<Round>> results = new LinkedHashMap<>();
    try {
      for (int n : counts) {
        try {
          results.put(n, measure(n, dir.resolve(n + "-nodes"), transport, linkMtu, cql, nodeOpts, bytes, size, clients, rounds,
              expectedCrc));
        } catch (Exception e) {
          // The nodes did not come up or could not be given their files: said, and the next count runs.
          System.out.printf("%d nodes FAILED: %s%n", n, e);
          results.put(n, List.of());
        }
      }
    } finally {
      if (cassandra != null) cassandra.stop();
    }
    System.out.printf("load average at the end: %s%n", loadAverage());
    print(results, size, clients);
  }

  private static List<Round> measure(int n, Path dir, String transport, int linkMtu, InetSocketAddress cql, List<String> nodeOpts,
      Pattern bytes, long size, int clients, int rounds, int expectedCrc) throws Exception {
    // Each node's cache holds its own files (warmed) and the files its clients read from others.
    long cacheMiB = 2L * clients * (size >> 20) + 256;
    List<String> props = new ArrayList<>(List.of("-Dtensorfs.cache.capacity=" + cacheMiB + "MiB",
        "-XX:MaxDirectMemorySize=" + (cacheMiB + 1024) + "m"));
    props.addAll(nodeOpts);
    long t0 = System.nanoTime();
    try (NetnsNodes nodes = NetnsNodes.start(n, dir, transport, cql, props, linkMtu)) {
      awaitCaches(nodes, Duration.ofMinutes(3));
      System.out.printf("%d nodes up in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < clients; c++) put(nodes.node(i), file(i, c), bytes, size, expectedCrc);
      }
      // The first round compiles the hot paths and opens the transport's connections: not counted.
      List<Round> out = new ArrayList<>();
      for (int r = 0; r <= rounds; r++) {
        try {
          Round done = round(nodes, bytes, size, clients, expectedCrc, r);
          if (r > 0) out.add(done);
        } catch (ExecutionException e) {
          // A GET that failed (a wrong byte fails the same way) voids its round; the table says how many.
          System.out.printf("%d nodes %s FAILED: %s%n", n, r == 0 ? "warm-up" : "round " + r,
              e.getCause().getMessage().lines().findFirst().orElse(""));
          if (r > 0) out.add(null);
        }
      }
      return out;
    }
    // The node logs stay under test/target/bench-scale/<n>-nodes until the next run.
  }

  /** The path of file {@code c} held by node {@code i} (0-based). */
  private static String file(int i, int c) {
    return "/scale/n" + i + "/f" + c;
  }

  /** The node (0-based) holding the file client {@code c} of node {@code j} reads: never {@code j} when n > 1. */
  private static int holderFor(int j, int c, int n) {
    return n == 1 ? 0 : (j + 1 + c % (n - 1)) % n;
  }

  /** PUTs a {@code persistent(1,1)} file through {@code node} and checks that its one replica is there. */
  private static void put(NodeProcess node, String path, Pattern bytes, long size, int expectedCrc) throws Exception {
    String answer = RawHttp.put(Endpoint.of(node), "/v1/files" + path + "?policy=persistent(1,1)", bytes.buffer(), size);
    int body = answer.indexOf("\r\n\r\n");
    if (!answer.startsWith("HTTP/1.1 201") || body < 0) throw new IllegalStateException("PUT " + path + " failed: " + answer);
    if (!JSON.readTree(answer.substring(body + 4)).get("crc32c").asText().equals(Crc32c.hex(expectedCrc))) {
      throw new IllegalStateException("PUT " + path + " stored other bytes: " + answer);
    }
    JsonNode stat = JSON.readTree(http(node, "GET", "/v1/stat" + path));
    for (JsonNode chunk : stat.get("chunks")) {
      for (JsonNode replica : chunk.get("replicas")) {
        if (!replica.get("node").asText().equals(node.nodeId())) {
          throw new IllegalStateException(path + " has a replica off " + node.nodeId() + ": " + stat);
        }
      }
    }
  }

  private static Round round(NetnsNodes nodes, Pattern bytes, long size, int clients, int expectedCrc, int r)
      throws Exception {
    int n = nodes.size();
    int streams = n * clients;
    double loop = Limits.loopbackParallelSeconds(bytes.buffer(), size, streams);
    // Every cache dropped (the readers' copies too), then each file warmed on its holder.
    http(nodes.node(0), "POST", "/v1/cache/scale?op=dontneed");
    JsonNode warmed = JSON.readTree(http(nodes.node(0), "POST", "/v1/cache/scale?op=willneed"));
    if (warmed.get("failed").asInt() != 0) throw new IllegalStateException("WILLNEED failed: " + warmed);

    long bridgeBefore = nodes.bridgeBytes();
    long dropsBefore = nodes.udpReceiveDrops();
    ExecutorService pool = Executors.newFixedThreadPool(streams);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<long[]>> gets = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        for (int c = 0; c < clients; c++) {
          Endpoint reader = Endpoint.of(nodes.node(j));
          String path = "/v1/files" + file(holderFor(j, c, n), c);
          gets.add(pool.submit(() -> {
            go.await();
            long start = System.nanoTime();
            int crc = RawHttp.get(reader, path, size);
            long end = System.nanoTime();
            if (crc != expectedCrc) throw new IllegalStateException("GET " + path + " returned other bytes than were PUT");
            return new long[] {start, end};
          }));
        }
      }
      go.countDown();
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (Future<long[]> g : gets) {
        long[] t = g.get();
        first = Math.min(first, t[0]);
        last = Math.max(last, t[1]);
      }
      double seconds = (last - first) / 1e9;
      long bridge = nodes.bridgeBytes() - bridgeBefore;
      long drops = nodes.udpReceiveDrops() - dropsBefore;
      long total = size * streams;
      System.out.printf("%d nodes %s: %d GETs of %d MiB, %.0f MB/s aggregate (loopback, %d copies at once: %.0f MB/s);"
              + " bridge carried %.2f x the bytes read; %d UDP datagrams dropped at full receive buffers%n",
          n, r == 0 ? "warm-up (not counted)" : "round " + r, streams, size >> 20, HttpBench.mbps(total, seconds), streams,
          HttpBench.mbps(total, loop), (double) bridge / total, drops);
      return new Round(seconds, loop, bridge, drops);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits until node-1 sees every node's cache (a node answers its health check before the others'
   * registries list its cache, and a WILLNEED then skips it).
   */
  private static void awaitCaches(NetnsNodes nodes, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    while (true) {
      JsonNode caches = JSON.readTree(http(nodes.node(0), "GET", "/v1/cache")).get("nodes");
      if (caches != null && caches.size() >= nodes.size()) return;
      if (System.nanoTime() > until) throw new IllegalStateException("node-1 sees " + caches + " of " + nodes.size() + " caches");
      Thread.sleep(500); // polling the cluster's registry
    }
  }

  private static String http(NodeProcess node, String method, String path) throws Exception {
    HttpClient client = new BearerHttpClient(HttpClient.newHttpClient(), AdminToken.of(node));
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(node.baseUri() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    return r.body();
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /** The median of {@code column} over the rounds that did not fail (NaN when every one failed). */
  private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> column) {
    double[] v = rounds.stream().filter(Objects::nonNull).mapToDouble(column).sorted().toArray();
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }

  private static void print(Map<Integer, List<Round>> results, long size, int clients) {
    MarkdownTable t = new MarkdownTable("nodes (median of rounds; MB/s = 10^6 B/s)", "GETs at once",
        "aggregate GET MB/s", "per node", "÷ first row over the transport", "loopback, as many copies at once (limit)", "÷ loopback",
        "bridge bytes ÷ bytes read", "UDP datagrams dropped (receive buffer full)");
    double base = 0;
    double previous = 0;
    Integer previousCount = null;
    String stops = null;
    int measured = 0;
    for (var e : results.entrySet()) {
      int n = e.getKey();
      long total = size * n * clients;
      double mbps = HttpBench.mbps(total, median(e.getValue(), Round::seconds));
      double loop = HttpBench.mbps(total, median(e.getValue(), Round::loopSeconds));
      double bridge = median(e.getValue(), r -> (double) r.bridgeBytes() / total);
      long failed = e.getValue().stream().filter(Objects::isNull).count();
      if (n > 1 && !Double.isNaN(mbps)) measured++;
      // One node reads locally: the curve of the transport starts at the first count above one.
      if (base == 0 && n > 1) base = mbps;
      if (stops == null && previousCount != null && previousCount > 1 && mbps < previous * GROWS) {
        stops = String.format("%d to %d nodes: %.0f to %.0f MB/s (× %.2f)", previousCount, n, previous, mbps, mbps / previous);
      }
      String label = (n == 1 ? "1 (local reads, no transport)" : String.valueOf(n))
          + (failed > 0 ? " (" + failed + " of " + e.getValue().size() + " rounds failed)" : "");
      t.row(label, n * clients, MarkdownTable.num(mbps), MarkdownTable.num(mbps / n),
          MarkdownTable.num(mbps / base), MarkdownTable.num(loop), MarkdownTable.num(mbps / loop), MarkdownTable.num(bridge),
          MarkdownTable.num(median(e.getValue(), Round::udpDrops)));
      if (Double.isNaN(mbps)) continue; // not measured: the step is taken from the last count that was
      previous = mbps;
      previousCount = n;
    }
    System.out.println();
    System.out.print(t);
    System.out.println();
    if (measured < 2 && stops == null) {
      System.out.println("fewer than two node counts above one were measured: no curve over the transport");
      return;
    }
    System.out.println(stops == null
        ? "over the transport, the aggregate grew by at least × " + GROWS + " at every step measured"
        : "over the transport, it stops growing (less than × " + GROWS + " per step) from " + stops);
  }
}
