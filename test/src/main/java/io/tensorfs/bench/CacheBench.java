package io.tensorfs.bench;

import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./tfs bench cache}: GET throughput of files of several sizes from a real node on a cache hit
 * and on a miss, beside, in the same run: a plain memory copy of the same number of bytes, the loopback
 * socket limit, and Redis (Debian's redis-server, started here on a free loopback port) serving values of
 * the same sizes. Each client is one kept-alive connection reading into a direct buffer and checking
 * every body's CRC32C. A hit or a miss is confirmed by the response's X-Tfs-Cache header.
 *
 * <p>What metrics cost: a second node, started with {@code -Dtensorfs.metrics.enabled=false}, serves the same
 * files; GET hits of {@code --metrics-mib} sizes (1 GiB and 4 MiB by default) alternate between the two nodes
 * in every round (which node goes first alternates too), and both medians are printed with their ratio.
 * {@code --only metrics} runs just that part.
 *
 * <p>What auth costs: a third node, started with {@code -Dtensorfs.auth.enabled=false} and sent no token, is
 * compared the same way with the first (auth on, every request with the admin token) on GET hits of
 * {@code --auth-mib} sizes (1 GiB and 1 MiB by default), and then on the gRPC round trip of a 1-byte read
 * through the Python client (clients/python/bench/round_trip.py, the two nodes alternating).
 * {@code --only auth} runs just that part.
 */
final class CacheBench {
  private static final long[] FILE_MIB = {1, 4, 16, 64, 1024};
  private static final long[] REDIS_MIB = {1, 4, 16};
  /** Untimed samples of each size each node serves before metrics on and off are compared. */
  private static final int WARM_UP_SAMPLES = 4;
  private static final long[] METRICS_MIB = {1024, 4};
  private static final long[] AUTH_MIB = {1024, 1};

  private CacheBench() {}

  static void run(String[] args) throws Exception {
    int rounds = 3;
    long bytesPerSample = 512L << 20;
    long[] metricsMib = METRICS_MIB;
    long[] authMib = AUTH_MIB;
    String only = "";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--sample-mib" -> bytesPerSample = Long.parseLong(args[i + 1]) << 20;
        case "--metrics-mib" -> metricsMib = sizes(args[i + 1]);
        case "--auth-mib" -> authMib = sizes(args[i + 1]);
        case "--only" -> {
          only = args[i + 1];
          if (!only.equals("metrics") && !only.equals("auth")) throw new IllegalArgumentException("--only takes metrics or auth");
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = RepoPaths.root().resolve("test/target/bench-cache");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    Pattern bytes = new Pattern(7);
    ByteBuffer pattern = bytes.buffer();

    System.out.printf("tfs bench cache: %d rounds, %d MiB per sample, %d cores, %s%n", rounds, bytesPerSample >> 20,
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    var db = cassandra.start();
    List<String> nodeJvm = List.of("-XX:MaxDirectMemorySize=3g", "-Dtensorfs.cache.capacity=1280MiB");
    List<String> noMetricsJvm = new ArrayList<>(nodeJvm);
    noMetricsJvm.add("-Dtensorfs.metrics.enabled=false");
    List<String> noAuthJvm = new ArrayList<>(nodeJvm);
    noAuthJvm.add("-Dtensorfs.auth.enabled=false");
    Process redis = null;
    List<NodeProcess> started = new ArrayList<>();
    Comparison metrics = null;
    Comparison auth = null;
    NodeProcess noAuth = null;
    try {
      // Each node a cluster of its own: its own keyspaces and its own directory (and admin token) beside the others.
      NodeProcess node = start(started, new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench",
          nodeJvm));
      Endpoint server = Endpoint.of(node);
      if (!only.equals("auth")) {
        NodeProcess plain = start(started, new NodeProcess("node-1", dir.resolve("metrics-off/node-1"),
            db.contactPoint(), "bench_no_metrics", noMetricsJvm));
        metrics = new Comparison("metrics", server, Endpoint.of(plain), metricsMib);
      }
      if (!only.equals("metrics")) {
        noAuth = start(started, new NodeProcess("node-1", dir.resolve("auth-off/node-1"), db.contactPoint(),
            "bench_no_auth", noAuthJvm));
        auth = new Comparison("auth", server, Endpoint.withoutToken(noAuth), authMib);
      }
      for (Comparison pair : new Comparison[] {metrics, auth}) {
        if (pair != null) putAll(pair.off(), pair.sizesMib(), pattern);
      }
      if (!only.isEmpty()) {
        putAll(server, only.equals("auth") ? authMib : metricsMib, pattern);
        if (metrics != null) printMetricsCost(pairCost(metrics, rounds, bytesPerSample, bytes), metricsMib);
        if (auth != null) printAuthCost(pairCost(auth, rounds, bytesPerSample, bytes), authMib, node, noAuth, rounds);
        return;
      }
      int redisPort = NodeProcess.freePort();
      redis = startRedis(dir.resolve("redis"), redisPort);
      InetSocketAddress redisAddress = new InetSocketAddress("127.0.0.1", redisPort);

      putAll(server, FILE_MIB, pattern);
      try (Resp r = new Resp(redisAddress)) {
        for (long mib : REDIS_MIB) r.set("v" + mib, pattern, mib << 20);
      }

      Map<String, List<Double>> samples = new LinkedHashMap<>();
      for (int round = 1; round <= rounds; round++) {
        add(samples, "loopback", HttpBench.mbps(1L << 30, Limits.loopbackSeconds(pattern, 1L << 30)));
        try (KeepAliveHttp data = new KeepAliveHttp(server); KeepAliveHttp control = new KeepAliveHttp(server);
            Resp r = new Resp(redisAddress)) {
          for (long mib : FILE_MIB) {
            long size = mib << 20;
            int n = (int) Math.max(1, bytesPerSample / size);
            int crc = bytes.crcOf(size);
            add(samples, "memcpy " + mib, HttpBench.mbps(size * n, memcpySeconds(pattern, size, n)));
            add(samples, "miss " + mib, HttpBench.mbps(size * n, getSeconds(data, control, mib, n, crc, false)));
            add(samples, "hit " + mib, HttpBench.mbps(size * n, getSeconds(data, control, mib, n, crc, true)));
            if (Arrays.stream(REDIS_MIB).anyMatch(m -> m == mib)) {
              add(samples, "redis " + mib, HttpBench.mbps(size * n, redisSeconds(r, mib, n, crc)));
            }
            control.post("/v1/cache/bench/cache/f" + mib + "?op=dontneed");
          }
        }
        System.out.printf("round %d done%n", round);
      }
      print(samples);
      printMetricsCost(pairCost(metrics, rounds, bytesPerSample, bytes), metricsMib);
      printAuthCost(pairCost(auth, rounds, bytesPerSample, bytes), authMib, node, noAuth, rounds);
    } finally {
      for (NodeProcess n : started) n.close();
      if (redis != null) {
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
      }
      cassandra.stop();
    }
  }

  /**
   * Two nodes that differ in one feature ({@code what}: metrics, auth), compared on GET hits of
   * {@code sizesMib}: {@code on} has it, {@code off} was started without it.
   */
  private record Comparison(String what, Endpoint on, Endpoint off, long[] sizesMib) {}

  /**
   * GET hits of each size on the pair's node with the feature ({@code on}) and the one without ({@code off}),
   * the two alternating within every round and swapping which goes first from round to round. Both nodes
   * first serve {@link #WARM_UP_SAMPLES} untimed samples of each size, so that neither is measured with a
   * colder JIT than the other (the first node has usually just served the whole cache benchmark).
   */
  private static Map<String, List<Double>> pairCost(Comparison pair, int rounds, long bytesPerSample, Pattern bytes)
      throws IOException {
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    long[] sizesMib = pair.sizesMib();
    try (KeepAliveHttp onData = new KeepAliveHttp(pair.on()); KeepAliveHttp onControl = new KeepAliveHttp(pair.on());
        KeepAliveHttp offData = new KeepAliveHttp(pair.off());
        KeepAliveHttp offControl = new KeepAliveHttp(pair.off())) {
      for (int warm = 0; warm < WARM_UP_SAMPLES; warm++) {
        for (long mib : sizesMib) {
          int n = (int) Math.max(1, bytesPerSample / (mib << 20));
          int crc = bytes.crcOf(mib << 20);
          getSeconds(onData, onControl, mib, n, crc, true);
          getSeconds(offData, offControl, mib, n, crc, true);
        }
      }
      for (int round = 1; round <= rounds; round++) {
        for (long mib : sizesMib) {
          long size = mib << 20;
          int n = (int) Math.max(1, bytesPerSample / size);
          int crc = bytes.crcOf(size);
          for (int turn = 0; turn < 2; turn++) {
            boolean on = (turn + round) % 2 == 0;
            double seconds = on ? getSeconds(onData, onControl, mib, n, crc, true)
                : getSeconds(offData, offControl, mib, n, crc, true);
            add(samples, (on ? "on " : "off ") + mib, HttpBench.mbps(size * n, seconds));
          }
        }
        System.out.printf("%s round %d done%n", pair.what(), round);
      }
    }
    return samples;
  }

  private static void printMetricsCost(Map<String, List<Double>> s, long[] sizesMib) {
    System.out.println();
    System.out.println("What metrics cost: GET hits, metrics on and off (-Dtensorfs.metrics.enabled=false), same run,");
    System.out.println("the two nodes alternating in every round:");
    printPairTable("metrics", s, sizesMib);
  }

  /** The auth pair's GET hits, then the gRPC round trip on the same two nodes. */
  private static void printAuthCost(Map<String, List<Double>> s, long[] sizesMib, NodeProcess on, NodeProcess off,
      int rounds) throws IOException, InterruptedException {
    System.out.println();
    System.out.println("What auth costs: GET hits, auth on (each request with the admin token) and off");
    System.out.println("(-Dtensorfs.auth.enabled=false, no token), same run, the two nodes alternating in every round:");
    printPairTable("auth", s, sizesMib);
    roundTrips(on, off, rounds);
  }

  private static void printPairTable(String what, Map<String, List<Double>> s, long[] sizesMib) {
    System.out.println();
    System.out.printf("| size | %s on MB/s (min–max) | %s off MB/s (min–max) | on ÷ off (medians) |%n", what, what);
    System.out.println("| ---: | ---: | ---: | ---: |");
    for (long mib : sizesMib) {
      double on = median(s, "on " + mib);
      double off = median(s, "off " + mib);
      System.out.printf("| %d MiB | %.0f (%s) | %.0f (%s) | %.3f |%n", mib, on, range(s, "on " + mib), off,
          range(s, "off " + mib), on / off);
    }
  }

  /**
   * The gRPC round trip of a 1-byte read from the cache, through the Python client, on the node with auth
   * ({@code on}, sent its admin token) and the one without ({@code off}, sent none), alternating.
   */
  private static void roundTrips(NodeProcess on, NodeProcess off, int rounds) throws IOException, InterruptedException {
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    // The node without auth first: the table gives every node's median against the first one's.
    ProcessBuilder bench = new ProcessBuilder(python, "bench/round_trip.py",
        "--node", "auth off", off.grpcAddress(), "-",
        "--node", "auth on", on.grpcAddress(), NodeProcess.adminTokenFile(on.dataDir()).toString(),
        "--rounds", Integer.toString(Math.max(rounds, 2)))
        .directory(RepoPaths.root().resolve("clients/python").toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT);
    bench.environment().put("PYTHONPATH", ".");
    Process p;
    try {
      p = bench.start();
    } catch (IOException e) {
      throw new IllegalStateException("no python3 for the gRPC round trip: run scripts/ensure-deps", e);
    }
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("the gRPC round trip did not finish within 10 minutes");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("the gRPC round trip failed (exit " + p.exitValue() + "; python3-grpcio is "
          + "installed by scripts/ensure-deps)");
    }
  }

  /** Starts {@code node}, remembering it in {@code started} so that it is stopped whatever happens. */
  private static NodeProcess start(List<NodeProcess> started, NodeProcess node) throws IOException, InterruptedException {
    started.add(node);
    return node.start(Duration.ofMinutes(3));
  }

  /** PUTs the benchmark's file of each size to {@code server}. */
  private static void putAll(Endpoint server, long[] sizesMib, ByteBuffer pattern) throws IOException {
    for (long mib : sizesMib) {
      String answer = RawHttp.put(server, filePath(mib), pattern, mib << 20);
      if (!answer.startsWith("HTTP/1.1 201")) throw new IllegalStateException("PUT failed: " + answer);
    }
  }

  private static long[] sizes(String list) {
    return Arrays.stream(list.split(",")).mapToLong(Long::parseLong).toArray();
  }

  private static String filePath(long mib) {
    return "/v1/files/bench/cache/f" + mib;
  }

  /** Seconds for {@code n} GETs; a miss drops the file from the cache before each (untimed). */
  private static double getSeconds(KeepAliveHttp data, KeepAliveHttp control, long mib, int n, int crc, boolean hit)
      throws IOException {
    String hint = "/v1/cache/bench/cache/f" + mib + "?op=" + (hit ? "willneed" : "dontneed");
    if (hit && control.post(hint) != 200) throw new IllegalStateException("willneed failed for f" + mib);
    long total = 0;
    for (int i = 0; i < n; i++) {
      if (!hit && control.post(hint) != 200) throw new IllegalStateException("dontneed failed for f" + mib);
      long t0 = System.nanoTime();
      KeepAliveHttp.Got got = data.get(filePath(mib), mib << 20);
      total += System.nanoTime() - t0;
      if (got.crc32c() != crc) throw new IllegalStateException("f" + mib + " read back other bytes");
      String expected = hit ? "hit" : "miss";
      if (!got.cache().equals(expected)) {
        throw new IllegalStateException("f" + mib + " was a " + got.cache() + ", the benchmark expected a " + expected);
      }
    }
    return total / 1e9;
  }

  private static double redisSeconds(Resp r, long mib, int n, int crc) throws IOException {
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      if (r.get("v" + mib, mib << 20) != crc) throw new IllegalStateException("redis returned other bytes");
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Seconds to copy {@code size} bytes {@code n} times between direct buffers, in pieces of the pattern. */
  private static double memcpySeconds(ByteBuffer pattern, long size, int n) {
    ByteBuffer target = ByteBuffer.allocateDirect(pattern.capacity());
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      for (long left = size; left > 0; ) {
        ByteBuffer src = pattern.duplicate().clear();
        src.limit((int) Math.min(src.capacity(), left));
        left -= src.remaining();
        target.clear();
        target.put(src);
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  static Process startRedis(Path dir, int port) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    String binary = Files.isExecutable(Path.of("/usr/bin/redis-server")) ? "/usr/bin/redis-server" : "redis-server";
    Process p;
    try {
      p = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "no", "--dir", dir.toString(), "--proto-max-bulk-len", "1gb")
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("redis-server not found: run scripts/ensure-deps", e);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < until) {
      try (Resp probe = new Resp(new InetSocketAddress("127.0.0.1", port))) {
        return p;
      } catch (IOException notYet) {
        if (!p.isAlive()) throw new IllegalStateException("redis-server exited; see " + dir.resolve("redis.log"));
        TimeUnit.MILLISECONDS.sleep(100); // polling an external process's readiness
      }
    }
    throw new IllegalStateException("redis-server did not listen on " + port);
  }

  private static void add(Map<String, List<Double>> samples, String key, double value) {
    samples.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
  }

  private static String range(Map<String, List<Double>> samples, String key) {
    var stats = samples.get(key).stream().mapToDouble(Double::doubleValue).summaryStatistics();
    return String.format("%.0f–%.0f", stats.getMin(), stats.getMax());
  }

  private static double median(Map<String, List<Double>> samples, String key) {
    List<Double> v = samples.get(key);
    if (v == null) return Double.NaN;
    double[] sorted = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  private static void print(Map<String, List<Double>> s) {
    double loop = median(s, "loopback");
    System.out.println();
    System.out.printf("loopback TCP socket copy (limit, 1 GiB): %.0f MB/s%n%n", loop);
    System.out.println("| size | memcpy MB/s | tensorfs hit MB/s | tensorfs miss MB/s | Redis MB/s | hit ÷ loopback | hit ÷ Redis |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (long mib : FILE_MIB) {
      double hit = median(s, "hit " + mib);
      double redis = median(s, "redis " + mib);
      System.out.printf("| %d MiB | %.0f | %.0f | %.0f | %s | %.2f | %s |%n", mib, median(s, "memcpy " + mib), hit,
          median(s, "miss " + mib), Double.isNaN(redis) ? "—" : String.format("%.0f", redis), hit / loop,
          Double.isNaN(redis) ? "—" : String.format("%.2f", hit / redis));
    }
  }
}
