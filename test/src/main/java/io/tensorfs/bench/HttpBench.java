package io.tensorfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.Crc32c;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./tfs bench http}: PUT and GET of one large file over loopback HTTP against a real node and
 * a real Cassandra, beside the limits measured in the same run on the same bytes: a plain loopback
 * socket copy, and O_DIRECT write and read of a file of that size on the node's disk. Every GET is
 * checked against the CRC32C of what was PUT.
 */
final class HttpBench {
  private HttpBench() {}

  static void run(String[] args) throws Exception {
    long sizeMiB = 1024;
    int rounds = 3;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--size-mib" -> sizeMiB = Long.parseLong(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    long size = sizeMiB << 20;
    Path dir = RepoPaths.root().resolve("test/target/bench-http");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    Pattern bytes = new Pattern(42);
    ByteBuffer pattern = bytes.buffer();
    int expectedCrc = bytes.crcOf(size);

    System.out.printf("tfs bench http: %d MiB, %d rounds, %d cores, %s%n", sizeMiB, rounds,
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    var db = cassandra.start();
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench", List.of())
        .start(Duration.ofMinutes(3))) {
      Endpoint server = Endpoint.of(node);
      Path raw = dir.resolve("node-1/raw.bin");
      List<double[]> samples = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        double loop = Limits.loopbackSeconds(pattern, size);
        double dw = Limits.directWriteSeconds(raw, pattern, size);
        double dr = Limits.directReadSeconds(raw, size);
        String path = "/v1/files/bench/blob-" + r;
        long t0 = System.nanoTime();
        String answer = RawHttp.put(server, path, pattern, size);
        double put = (System.nanoTime() - t0) / 1e9;
        checkPut(answer, expectedCrc);
        t0 = System.nanoTime();
        int crc = RawHttp.get(server, path, size);
        double get = (System.nanoTime() - t0) / 1e9;
        if (crc != expectedCrc) throw new IllegalStateException("GET returned other bytes than were PUT");
        samples.add(new double[] {loop, dw, dr, put, get});
        System.out.printf("round %d: loopback %.0f, O_DIRECT write %.0f, O_DIRECT read %.0f, PUT %.0f, GET %.0f MB/s%n",
            r, mbps(size, loop), mbps(size, dw), mbps(size, dr), mbps(size, put), mbps(size, get));
      }
      Files.deleteIfExists(raw);
      print(size, samples);
    } finally {
      cassandra.stop();
    }
  }

  private static void print(long size, List<double[]> samples) {
    double[] median = new double[5];
    for (int k = 0; k < 5; k++) {
      final int col = k;
      double[] col5 = samples.stream().mapToDouble(s -> s[col]).sorted().toArray();
      median[k] = col5[col5.length / 2];
    }
    double loop = mbps(size, median[0]);
    double dw = mbps(size, median[1]);
    double dr = mbps(size, median[2]);
    double put = mbps(size, median[3]);
    double get = mbps(size, median[4]);
    System.out.println();
    System.out.println("| what (median of rounds, MB/s = 10^6 B/s) | MB/s | ratio |");
    System.out.println("| --- | ---: | --- |");
    System.out.printf("| loopback TCP socket copy (limit) | %.0f | |%n", loop);
    System.out.printf("| O_DIRECT write + fsync (limit) | %.0f | |%n", dw);
    System.out.printf("| O_DIRECT read (limit) | %.0f | |%n", dr);
    System.out.printf("| tensorfs PUT persistent (fsync) | %.0f | %.2f of loopback, %.2f of O_DIRECT write |%n",
        put, put / loop, put / dw);
    System.out.printf("| tensorfs GET | %.0f | %.2f of loopback, %.2f of O_DIRECT read |%n", get, get / loop, get / dr);
  }

  private static void checkPut(String answer, int expectedCrc) throws Exception {
    int body = answer.indexOf("\r\n\r\n");
    if (!answer.startsWith("HTTP/1.1 201") || body < 0) throw new IllegalStateException("PUT failed: " + answer);
    JsonNode json = new ObjectMapper().readTree(answer.substring(body + 4));
    if (!json.get("crc32c").asText().equals(Crc32c.hex(expectedCrc))) {
      throw new IllegalStateException("PUT stored other bytes: " + json);
    }
  }

  static double mbps(long bytes, double seconds) {
    return bytes / seconds / 1e6;
  }

}
