package io.tensorfs.bench;

import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * {@code ./tfs bench kv}: batched KV puts and gets of blocks of several sizes from 1, 4 and 16 clients, through
 * the Java client's {@code kv()} (over its local channel, and over gRPC) and HTTP
 * {@code ?op=mput}/{@code ?op=mget}, beside Redis (Debian's {@code redis-server}, started here with no
 * persistence) doing MSET/MGET of the same values; then a 1 MiB HTTP GET hit beside a Redis GET of the same
 * value. Each configuration puts for a while (every client replacing its own keys) and then gets for a
 * while; every get checks each block's bytes by CRC32C. Throughput counts block bytes; latencies are per
 * batch. The node's memory per block is read from its metrics ({@code tensorfs_kv_*}) after the puts.
 */
final class KvBench {
  private static final String TENANT = "bench";
  private static final int GRAIN = 4096;

  private KvBench() {}

  /** What one system did in one configuration: put and get throughput and per-batch latencies. */
  private record Row(String system, long size, int clients, int batch, Phase put, Phase get, String failure) {}

  private record Phase(double seconds, long blocks, double p50Ms, double p99Ms) {
    double gbps(long size) {
      return blocks * (double) size / seconds / 1e9;
    }
  }

  /** The blocks of one client in one configuration: distinct values (slices of one random buffer) and their CRCs. */
  private record Blocks(List<String> keys, List<ByteBuffer> values, int[] crcs) {}

  static void run(String[] args) throws Exception {
    long[] sizes = {256 << 10, 1 << 20, 4 << 20, 16 << 20};
    int[] clientCounts = {1, 4, 16};
    int batch = 8;
    double seconds = 3;
    long inFlightBytes = 256L << 20;
    boolean channel = true;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--sizes-kib" -> sizes = Arrays.stream(args[i + 1].split(",")).mapToLong(s -> Long.parseLong(s) << 10).toArray();
        case "--clients" -> clientCounts = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
        case "--in-flight-mib" -> inFlightBytes = Long.parseLong(args[i + 1]) << 20;
        case "--local" -> channel = !args[i + 1].equals("off");
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = RepoPaths.root().resolve("test/target/bench-kv");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    System.out.printf(Locale.ROOT, "tfs bench kv: batch %d, %.1f s per phase, at most %d MiB of blocks in flight, %d cores, load %s%n",
        batch, seconds, inFlightBytes >> 20, Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/loadavg")).trim());
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    var db = cassandra.start();
    Process redis = null;
    List<String> jvm = List.of("-Xmx2g", "-XX:MaxDirectMemorySize=3g", "-Dtensorfs.cache.capacity=1536MiB",
        "-Dtensorfs.kv.memory=1GiB", "-Dtensorfs.metrics.tick-interval=500ms");
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "benchkv", jvm)
        .start(Duration.ofMinutes(3))) {
      Endpoint http = Endpoint.of(node);
      int redisPort = NodeProcess.freePort();
      redis = CacheBench.startRedis(dir.resolve("redis"), redisPort);
      InetSocketAddress redisAddress = new InetSocketAddress("127.0.0.1", redisPort);
      URI metrics = metricsOf(node.dataDir());
      List<Row> rows = new ArrayList<>();
      List<String> memory = new ArrayList<>();
      java.util.Set<String> putKeys = new java.util.LinkedHashSet<>();
      for (long size : sizes) {
        for (int clients : clientCounts) {
          int b = (int) Math.max(1, Math.min(batch, inFlightBytes / ((long) clients * size)));
          Blocks[] blocks = blocks(clients, b, size);
          for (Blocks x : blocks) putKeys.addAll(x.keys);
          final int cs = clients;
          if (channel) {
            rows.add(measure("tensorfs kv() local channel", size, clients, b, blocks, seconds,
                c -> new GrpcKvBatches(node.grpcAddress(), http.token(), true, TENANT, b, size)));
          }
          rows.add(measure("tensorfs kv() gRPC", size, clients, b, blocks, seconds,
              c -> new GrpcKvBatches(node.grpcAddress(), http.token(), false, TENANT, b, size)));
          if (cs == clientCounts[clientCounts.length - 1]) {
            memory.add(memoryLine(size, metrics, redisAddress, blocks, node.grpcAddress(), http.token(), putKeys));
          }
          rows.add(measure("tensorfs HTTP mput/mget", size, clients, b, blocks, seconds, c -> new HttpKvBatches(http, TENANT)));
          rows.add(measure("Redis MSET/MGET", size, clients, b, blocks, seconds, c -> new RedisKvBatches(redisAddress)));
          System.out.printf(Locale.ROOT, "%d KiB x %d clients done%n", size >> 10, clients);
        }
      }
      print(rows);
      System.out.println();
      System.out.println("| memory after the puts (largest client count) | |");
      System.out.println("| --- | --- |");
      memory.forEach(System.out::println);
      oneMiB(http, redisAddress, Math.max(50, (int) (seconds * 100)));
    } finally {
      if (redis != null) {
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
      }
      cassandra.stop();
    }
  }

  private interface Opener {
    KvBatchClient open(int client) throws Exception;
  }

  /** Every client puts its batch again and again for {@code seconds}, then gets it again and again. */
  private static Row measure(String system, long size, int clients, int batch, Blocks[] blocks, double seconds,
      Opener opener) throws Exception {
    long[][] putNs = new long[clients][];
    long[][] getNs = new long[clients][];
    double[] putSeconds = new double[1];
    double[] getSeconds = new double[1];
    CyclicBarrier ready = new CyclicBarrier(clients);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    long phaseNs = (long) (seconds * 1e9);
    for (int c = 0; c < clients; c++) {
      final int id = c;
      Thread t = new Thread(() -> {
        try (KvBatchClient client = opener.open(id)) {
          Blocks mine = blocks[id];
          client.put(mine.keys, mine.values); // warm: connection up, keys present
          client.get(mine.keys, size, mine.crcs);
          ready.await();
          long t0 = System.nanoTime();
          putNs[id] = loop(phaseNs, () -> client.put(mine.keys, mine.values));
          if (id == 0) putSeconds[0] = (System.nanoTime() - t0) / 1e9;
          ready.await();
          t0 = System.nanoTime();
          getNs[id] = loop(phaseNs, () -> client.get(mine.keys, size, mine.crcs));
          if (id == 0) getSeconds[0] = (System.nanoTime() - t0) / 1e9;
        } catch (Throwable e) {
          failed.compareAndSet(null, e);
          ready.reset();
        }
      }, "kv-client-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
    Row row = failed.get() != null
        ? new Row(system, size, clients, batch, null, null, String.valueOf(failed.get()))
        : new Row(system, size, clients, batch, phase(putNs, batch, putSeconds[0]), phase(getNs, batch, getSeconds[0]), null);
    System.out.println(line(row, null));
    return row;
  }

  private interface Call {
    void run() throws Exception;
  }

  /** Calls {@code call} until {@code phaseNs} has passed; answers each call's nanoseconds. */
  private static long[] loop(long phaseNs, Call call) throws Exception {
    long[] ns = new long[1024];
    int n = 0;
    long end = System.nanoTime() + phaseNs;
    while (true) {
      long t0 = System.nanoTime();
      if (t0 >= end) break;
      call.run();
      if (n == ns.length) ns = Arrays.copyOf(ns, n * 2);
      ns[n++] = System.nanoTime() - t0;
    }
    return Arrays.copyOf(ns, n);
  }

  private static Phase phase(long[][] perClient, int batch, double seconds) {
    long[] all = Arrays.stream(perClient).flatMapToLong(Arrays::stream).sorted().toArray();
    if (all.length == 0) return new Phase(seconds, 0, Double.NaN, Double.NaN);
    return new Phase(seconds, (long) all.length * batch, all[(int) (all.length * 0.50)] / 1e6,
        all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6);
  }

  private static Blocks[] blocks(int clients, int batch, long size) {
    byte[] source = new byte[(int) size + clients * batch * GRAIN];
    new Random(size).nextBytes(source);
    Blocks[] out = new Blocks[clients];
    for (int c = 0; c < clients; c++) {
      List<String> keys = new ArrayList<>();
      List<ByteBuffer> values = new ArrayList<>();
      int[] crcs = new int[batch];
      for (int k = 0; k < batch; k++) {
        int slot = c * batch + k;
        keys.add("s" + (size >> 10) + "k/c" + c + "/b" + k);
        ByteBuffer v = ByteBuffer.allocateDirect((int) size);
        v.put(ByteBuffer.wrap(source, slot * GRAIN, (int) size)).flip();
        values.add(v);
        CRC32C crc = new CRC32C();
        crc.update(v.duplicate());
        crcs[k] = (int) crc.getValue();
      }
      out[c] = new Blocks(keys, values, crcs);
    }
    return out;
  }

  /**
   * The node's KV memory per block holding exactly {@code blocks} (every other key removed first, then these
   * put), beside Redis's growth of {@code used_memory} when it takes the same blocks into an empty database.
   */
  private static String memoryLine(long size, URI metrics, InetSocketAddress redis, Blocks[] blocks, String grpc,
      String token, java.util.Set<String> putKeys) throws Exception {
    long n = Arrays.stream(blocks).mapToLong(b -> b.keys.size()).sum();
    int colon = grpc.lastIndexOf(':');
    io.tensorfs.client.TfsClient client = io.tensorfs.client.TfsClient.connect(grpc.substring(0, colon),
        Integer.parseInt(grpc.substring(colon + 1)), token, false);
    try {
      List<String> all = new ArrayList<>(putKeys);
      for (int i = 0; i < all.size(); i += 1000) {
        client.kv().remove(TENANT, all.subList(i, Math.min(all.size(), i + 1000))).toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      awaitKv(metrics, 0, true);
      for (Blocks b : blocks) {
        for (var r : client.kv().put(TENANT, b.keys, b.values).toCompletableFuture().get(120, TimeUnit.SECONDS)) {
          if (!r.ok()) throw new IllegalStateException("put for the memory figure: " + r);
        }
      }
    } finally {
      client.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    double[] kv = awaitKv(metrics, n, false);
    long redisBefore;
    try (RedisKvBatches r = new RedisKvBatches(redis)) {
      r.flushAll();
      redisBefore = r.usedMemory();
      for (Blocks b : blocks) r.put(b.keys, b.values);
    }
    long redisAfter;
    try (RedisKvBatches r = new RedisKvBatches(redis)) {
      redisAfter = r.usedMemory();
    }
    return String.format(Locale.ROOT, "| %s blocks (%d held) | tensorfs: %.4f x block in grains (%.0f bytes), %.4f x in pages;"
        + " Redis: %.4f x (used_memory growth per block) |", human(size), (long) kv[0], kv[1] / kv[0] / size,
        kv[1] / kv[0], kv[2] / kv[0] / size, (redisAfter - redisBefore) / (double) n / size);
  }

  /** Scrapes the node's metrics until they show at least {@code blocks} blocks: {blocks, allocated, pages} bytes. */
  private static double[] awaitKv(URI metrics, long blocks, boolean exactly) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    double[] last = null;
    while (System.nanoTime() < until) {
      String text = client.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
      last = new double[] {sample(text, "tensorfs_kv_blocks"), sample(text, "tensorfs_kv_allocated"), sample(text, "tensorfs_kv_pages")};
      if (exactly ? last[0] == blocks : last[0] >= blocks) return last;
      TimeUnit.MILLISECONDS.sleep(200); // the node publishes its metrics once per tick
    }
    throw new IllegalStateException("the node's metrics never showed " + blocks + " KV blocks; last " + Arrays.toString(last));
  }

  private static double sample(String text, String prefix) {
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix) && !line.startsWith("#")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return Double.NaN;
  }

  private static URI metricsOf(Path dataDir) throws Exception {
    Path file = dataDir.resolve("metrics.port");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(file) || Files.readString(file).isBlank()) {
      if (System.nanoTime() > until) throw new IllegalStateException("no " + file);
      TimeUnit.MILLISECONDS.sleep(100); // polling a file the node writes
    }
    return URI.create("http://127.0.0.1:" + Files.readString(file).trim() + "/metrics");
  }

  /** One client, one key of 1 MiB: HTTP GET of a hit beside Redis GET of the same value, each checked. */
  private static void oneMiB(Endpoint http, InetSocketAddress redis, int rounds) throws Exception {
    Blocks one = blocks(1, 1, 1 << 20)[0];
    double[] tfs = new double[rounds];
    double[] red = new double[rounds];
    try (HttpKvBatches h = new HttpKvBatches(http, TENANT); Resp r = new Resp(redis)) {
      h.put(List.of("one"), one.values);
      r.set("one", one.values.get(0).duplicate(), 1 << 20);
      for (int i = 0; i < 10; i++) {
        h.getOne("one", 1 << 20, one.crcs[0]);
        if (r.get("one", 1 << 20) != one.crcs[0]) throw new IllegalStateException("Redis GET returned other bytes");
      }
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        h.getOne("one", 1 << 20, one.crcs[0]);
        tfs[i] = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        if (r.get("one", 1 << 20) != one.crcs[0]) throw new IllegalStateException("Redis GET returned other bytes");
        red[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    Arrays.sort(tfs);
    Arrays.sort(red);
    System.out.println();
    System.out.println("| 1 MiB GET of a hit, one client, " + rounds + " rounds | p50 ms | p99 ms | GB/s at p50 |");
    System.out.println("| --- | ---: | ---: | ---: |");
    System.out.printf(Locale.ROOT, "| tensorfs HTTP GET /v1/kv | %.3f | %.3f | %.2f |%n", tfs[rounds / 2], tfs[rounds * 99 / 100], (1 << 20) / tfs[rounds / 2] / 1e6);
    System.out.printf(Locale.ROOT, "| Redis GET | %.3f | %.3f | %.2f |%n", red[rounds / 2], red[rounds * 99 / 100], (1 << 20) / red[rounds / 2] / 1e6);
    System.out.printf(Locale.ROOT, "| ratio (Redis p50 / tensorfs p50; >= 1 is the goal) | %.2f | | |%n", red[rounds / 2] / tfs[rounds / 2]);
  }

  private static final String HEADER = "| size | clients | batch | system | put GB/s | put blocks/s | put p50 ms | put p99 ms"
      + " | get GB/s | get blocks/s | get p50 ms | get p99 ms | put, get x Redis |\n"
      + "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

  private static void print(List<Row> rows) {
    System.out.println();
    System.out.println(HEADER);
    for (Row r : rows) {
      Row redis = rows.stream().filter(x -> x.system.startsWith("Redis") && x.size == r.size && x.clients == r.clients
          && x.failure == null).findFirst().orElse(null);
      System.out.println(line(r, redis));
    }
  }

  /** One row of the table; a failed system says why (a failure of one system does not stop the others). */
  private static String line(Row r, Row redis) {
    if (r.failure != null) {
      return String.format(Locale.ROOT, "| %s | %d | %d | %s | failed: %s | | | | | | | | |", human(r.size), r.clients, r.batch,
          r.system, r.failure.replace('|', '/'));
    }
    String ratio = redis == null ? "" : String.format(Locale.ROOT, "%.2f, %.2f", r.put.gbps(r.size) / redis.put.gbps(r.size),
        r.get.gbps(r.size) / redis.get.gbps(r.size));
    return String.format(Locale.ROOT, "| %s | %d | %d | %s | %.2f | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %s |",
        human(r.size), r.clients, r.batch, r.system, r.put.gbps(r.size), r.put.blocks / r.put.seconds, r.put.p50Ms, r.put.p99Ms,
        r.get.gbps(r.size), r.get.blocks / r.get.seconds, r.get.p50Ms, r.get.p99Ms, ratio);
  }

  private static String human(long size) {
    return size >= 1 << 20 ? (size >> 20) + " MiB" : (size >> 10) + " KiB";
  }
}
