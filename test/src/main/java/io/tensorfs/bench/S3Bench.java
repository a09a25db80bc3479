package io.tensorfs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.Crc32c;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.S3Keys;
import io.tensorfs.harness.SharedCassandra;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./tfs bench s3}: in one run against one real node (and a real Cassandra), PUT and GET of the same
 * file through the S3 endpoint and through the HTTP API, for each size (4 MiB and 1 GiB by default), and
 * the S3 figure as a fraction of the HTTP one (the goal is 0.9 or more). Both sides use the same thin
 * client (one request per connection, bodies from and into direct buffers, {@link RawHttp}); the S3
 * requests are signed with SigV4 over an unsigned payload ({@link S3Signer}) by a key of the bench's
 * tenant. Every GET's CRC32C is checked against what was PUT, every S3 PUT's ETag against the MD5 of the
 * bytes, every HTTP PUT's CRC32C likewise.
 */
final class S3Bench {
  private static final String TENANT = "bench";
  private static final String BUCKET = "s3bench";
  private static final String REGION = "us-east-1";

  private S3Bench() {}

  static void run(String[] args) throws Exception {
    long[] sizesMiB = {4, 1024};
    int rounds = 3;
    int smallRepeats = 16;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--sizes-mib" -> sizesMiB = Arrays.stream(args[i + 1].split(",")).mapToLong(Long::parseLong).toArray();
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--repeats" -> smallRepeats = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = RepoPaths.root().resolve("test/target/bench-s3");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    Pattern bytes = new Pattern(15);
    System.out.printf("tfs bench s3: sizes %s MiB, %d rounds (files under 64 MiB: %d requests a measurement), %d cores, load %s%n",
        Arrays.toString(sizesMiB), rounds, smallRepeats, Runtime.getRuntime().availableProcessors(), loadAverage());
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    var db = cassandra.start();
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench_s3", List.of())
        .start(Duration.ofMinutes(3))) {
      Endpoint http = Endpoint.of(node);
      S3Keys.S3Key key0 = S3Keys.create(node.baseUri(), AdminToken.of(node), TENANT, "read-write");
      S3Signer signer = new S3Signer(key0.accessKey(), key0.secretKey(), REGION);
      String host = node.s3Address();
      InetSocketAddress s3 = new InetSocketAddress(host.substring(0, host.lastIndexOf(':')),
          Integer.parseInt(host.substring(host.lastIndexOf(':') + 1)));
      String created = RawHttp.send(s3, "PUT /" + BUCKET + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n"
          + signer.headLines("PUT", host, "/" + BUCKET, "", Map.of()) + "Connection: close\r\n\r\n", bytes.buffer(), 0);
      if (!created.startsWith("HTTP/1.1 200")) throw new IllegalStateException("CreateBucket failed: " + created);
      List<String> rows = new ArrayList<>();
      for (long sizeMiB : sizesMiB) {
        long size = sizeMiB << 20;
        int repeats = size < (64L << 20) ? smallRepeats : 1;
        int crc = bytes.crcOf(size);
        String md5 = md5Of(bytes.buffer(), size);
        String key = "blob-" + sizeMiB + "MiB";
        String httpPath = "/v1/files/" + TENANT + "/" + BUCKET + "/" + key;
        String s3Path = "/" + BUCKET + "/" + key;
        double[][] samples = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
          double httpPut = 0, s3Put = 0, httpGet = 0, s3Get = 0;
          for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            checkHttpPut(RawHttp.put(http, httpPath, bytes.buffer(), size), crc);
            httpPut += (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            checkGet(RawHttp.get(http, httpPath, size), crc, "HTTP GET of what HTTP PUT");
            httpGet += (System.nanoTime() - t0) / 1e9;
            String putHead = "PUT " + s3Path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + size + "\r\n"
                + signer.headLines("PUT", host, s3Path, "", Map.of("content-type", "application/octet-stream"))
                + "Connection: close\r\n\r\n";
            t0 = System.nanoTime();
            checkS3Put(RawHttp.send(s3, putHead, bytes.buffer(), size), md5);
            s3Put += (System.nanoTime() - t0) / 1e9;
            String getHead = "GET " + s3Path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + signer.headLines("GET", host, s3Path, "", Map.of()) + "Connection: close\r\n\r\n";
            t0 = System.nanoTime();
            checkGet(RawHttp.fetch(s3, getHead, size), crc, "S3 GET of what S3 PUT");
            s3Get += (System.nanoTime() - t0) / 1e9;
          }
          samples[r] = new double[] {httpPut, s3Put, httpGet, s3Get};
          long moved = size * repeats;
          System.out.printf(Locale.ROOT, "%d MiB round %d: PUT HTTP %.0f S3 %.0f, GET HTTP %.0f S3 %.0f MB/s%n", sizeMiB, r + 1,
              mbps(moved, httpPut), mbps(moved, s3Put), mbps(moved, httpGet), mbps(moved, s3Get));
        }
        long moved = size * repeats;
        double httpPut = mbps(moved, median(samples, 0));
        double s3Put = mbps(moved, median(samples, 1));
        double httpGet = mbps(moved, median(samples, 2));
        double s3Get = mbps(moved, median(samples, 3));
        rows.add(String.format(Locale.ROOT, "| %d MiB | PUT | %.0f | %.0f | %.2f |", sizeMiB, httpPut, s3Put, s3Put / httpPut));
        rows.add(String.format(Locale.ROOT, "| %d MiB | GET | %.0f | %.0f | %.2f |", sizeMiB, httpGet, s3Get, s3Get / httpGet));
      }
      System.out.println();
      System.out.println("| file | op | HTTP API MB/s | S3 MB/s | S3 / HTTP (goal >= 0.9) |");
      System.out.println("| --- | --- | ---: | ---: | ---: |");
      rows.forEach(System.out::println);
      System.out.printf("(median of %d rounds, MB/s = 10^6 B/s, every GET's bytes checked; load after: %s)%n", rounds, loadAverage());
    } finally {
      cassandra.stop();
    }
  }

  /** The 1, 5 and 15 minute load averages of this machine (other work on it shows in the figures). */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static double median(double[][] samples, int column) {
    double[] values = Arrays.stream(samples).mapToDouble(s -> s[column]).sorted().toArray();
    return values[values.length / 2];
  }

  private static double mbps(long bytes, double seconds) {
    return bytes / seconds / 1e6;
  }

  private static void checkGet(int got, int expected, String what) {
    if (got != expected) throw new IllegalStateException(what + " returned other bytes (CRC32C differs)");
  }

  private static void checkHttpPut(String answer, int expectedCrc) throws Exception {
    int body = answer.indexOf("\r\n\r\n");
    if (!answer.startsWith("HTTP/1.1 201") || body < 0) throw new IllegalStateException("HTTP PUT failed: " + answer);
    JsonNode json = new ObjectMapper().readTree(answer.substring(body + 4));
    if (!json.get("crc32c").asText().equals(Crc32c.hex(expectedCrc))) {
      throw new IllegalStateException("HTTP PUT stored other bytes: " + json);
    }
  }

  private static void checkS3Put(String answer, String md5) {
    if (!answer.startsWith("HTTP/1.1 200")) throw new IllegalStateException("S3 PUT failed: " + answer);
    String etag = answer.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("etag:")).findFirst()
        .map(l -> l.substring(5).strip().replace("\"", "")).orElse("");
    if (!etag.equals(md5)) throw new IllegalStateException("S3 PUT's ETag " + etag + " is not the bytes' MD5 " + md5);
  }

  /** The MD5 (hex) of {@code size} bytes cycled from {@code pattern}. */
  static String md5Of(ByteBuffer pattern, long size) throws Exception {
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    long left = size;
    while (left > 0) {
      ByteBuffer b = pattern.duplicate().clear();
      b.limit((int) Math.min(b.capacity(), left));
      left -= b.remaining();
      md5.update(b);
    }
    return HexFormat.of().formatHex(md5.digest());
  }
}
