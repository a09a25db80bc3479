package io.tensorfs.bench;

import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.CommitlogSync;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.BearerHttpClient;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ./tfs bench metadata}: what syncing the metadata's commit log costs. For each commit log mode in turn
 * (by default Cassandra's old periodic 10 s, batch, and group with a 2 ms window), a fresh Cassandra and node:
 * several clients create 1-byte files over HTTP for a fixed time (each create is a metadata round of begin,
 * chunk, seal), then one large PUT. Every create must answer 201.
 */
final class MetadataBench {
  private MetadataBench() {}

  private record Figures(String mode, double createsPerSecond, double p50Ms, double p99Ms, double putMBps) {}

  static void run(String[] args) throws Exception {
    int clients = 8;
    int seconds = 20;
    long putMiB = 1024;
    List<String> modes = List.of("periodic:10s", "batch", "group:2ms");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--put-mib" -> putMiB = Long.parseLong(args[i + 1]);
        case "--modes" -> modes = Arrays.asList(args[i + 1].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf("tfs bench metadata: %d clients creating 1-byte files for %d s, then a %d MiB PUT, per commit"
        + " log mode; %d cores%n", clients, seconds, putMiB, Runtime.getRuntime().availableProcessors());
    List<Figures> all = new ArrayList<>();
    for (String mode : modes) {
      all.add(one(CommitlogSync.parse(mode), clients, seconds, putMiB << 20));
    }
    System.out.println();
    System.out.println("| commit log | synced before the answer | creates/s | create p50 ms | create p99 ms | "
        + putMiB + " MiB PUT MB/s |");
    System.out.println("| --- | --- | ---: | ---: | ---: | ---: |");
    for (Figures f : all) {
      System.out.printf("| %s | %s | %.0f | %.1f | %.1f | %.0f |%n", f.mode(),
          CommitlogSync.parse(f.mode()).syncsBeforeAnswer() ? "yes" : "no", f.createsPerSecond(), f.p50Ms(),
          f.p99Ms(), f.putMBps());
    }
  }

  private static Figures one(CommitlogSync sync, int clients, int seconds, long putBytes) throws Exception {
    Path dir = RepoPaths.root().resolve("test/target/bench-metadata");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    EmbeddedCassandra cassandra = new EmbeddedCassandra(CassandraSettings.defaults(dir.resolve("cassandra"))
        .withLibDir(RepoPaths.cassandraLib()).withCommitlogSync(sync).withStartTimeout(Duration.ofMinutes(5)));
    var db = cassandra.start();
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench", List.of())
        .start(Duration.ofMinutes(3))) {
      URI base = node.baseUri();
      String token = AdminToken.of(node);
      creates(base, token, clients, 3, "warm"); // schema, sharding and connections settle; not counted
      long[] latencies = creates(base, token, clients, seconds, "timed");
      Arrays.sort(latencies);
      double perSecond = latencies.length / (double) seconds;
      double p50 = latencies.length == 0 ? 0 : latencies[latencies.length / 2] / 1e6;
      double p99 = latencies.length == 0 ? 0 : latencies[(int) (latencies.length * 0.99)] / 1e6;
      ByteBuffer pattern = new Pattern(42).buffer();
      long t0 = System.nanoTime();
      String answer = RawHttp.put(Endpoint.of(node), "/v1/files/bench/big",
          pattern, putBytes);
      double put = (System.nanoTime() - t0) / 1e9;
      if (!answer.startsWith("HTTP/1.1 201")) throw new IllegalStateException("PUT failed: " + answer);
      Figures f = new Figures(sync.toString(), perSecond, p50, p99, putBytes / put / 1e6);
      System.out.printf("%s: %.0f creates/s (p50 %.1f ms, p99 %.1f ms), %d MiB PUT %.0f MB/s%n", f.mode(),
          f.createsPerSecond(), p50, p99, putBytes >> 20, f.putMBps());
      return f;
    } finally {
      cassandra.stop();
    }
  }

  /** {@code clients} threads each create files one after another for {@code seconds}; each create's latency, ns. */
  private static long[] creates(URI base, String token, int clients, int seconds, String prefix) throws Exception {
    HttpClient http = new BearerHttpClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), token);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<long[]>> each = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      each.add(pool.submit(() -> {
        long[] lat = new long[1024];
        int n = 0;
        while (!stop.get()) {
          URI uri = base.resolve("/v1/files/bench/" + prefix + "/c" + client + "/f" + n);
          HttpRequest put = HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {7}))
              .timeout(Duration.ofSeconds(30)).build();
          long t0 = System.nanoTime();
          HttpResponse<String> r = http.send(put, HttpResponse.BodyHandlers.ofString());
          long took = System.nanoTime() - t0;
          if (r.statusCode() != 201) throw new IllegalStateException("create " + uri + ": " + r.statusCode() + " " + r.body());
          if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
          lat[n++] = took;
        }
        return Arrays.copyOf(lat, n);
      }));
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    List<long[]> parts = new ArrayList<>();
    for (Future<long[]> f : each) parts.add(f.get());
    pool.shutdown();
    return parts.stream().flatMapToLong(Arrays::stream).toArray();
  }
}
