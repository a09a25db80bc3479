package io.tensorfs.bench;

import io.tensorfs.client.BatchSession;
import io.tensorfs.client.Sges;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.local.LocalChannel;
import io.tensorfs.client.local.SharedBuffer;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The round trip of a 1-byte read from a client on the node's host: through the local channel (the Java
 * client's {@link LocalChannel}, waiting by polling its completion ring), and over gRPC (a preadv on a Batch
 * stream into a shared segment, and a Read call), after a warm-up of each; the channel's bare NOP as the
 * floor. The paths take turns in five passes. Prints p50, p99 and the mean in microseconds, and the machine's
 * load before and after.
 *
 * <p>{@code java ... io.tensorfs.bench.LocalChannelBench [--rounds N] [--warmup N]}
 */
public final class LocalChannelBench {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String PATH = "/bench/one-byte";

  private LocalChannelBench() {}

  public static void main(String[] args) {
    int status = 0;
    try {
      run(args);
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status); // node and Cassandra clients leave non-daemon threads behind
  }

  static void run(String[] args) throws Exception {
    int rounds = 20_000;
    int warmup = 5_000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = RepoPaths.root().resolve("test/target/bench-local-channel");
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    var db = cassandra.start();
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench_local",
        List.of("-Dtensorfs.gateway.chunk-size=4MiB"))) {
      node.start(Duration.ofMinutes(3));
      String token = Files.readString(NodeProcess.adminTokenFile(node.dataDir())).strip();
      String[] hostPort = node.grpcAddress().split(":");
      TfsClient local = TfsClient.connect(hostPort[0], Integer.parseInt(hostPort[1]), token, true);
      TfsClient grpc = TfsClient.connect(hostPort[0], Integer.parseInt(hostPort[1]), token, false);
      if (!local.local()) throw new IllegalStateException("the client did not attach a local channel");
      grpc.write(PATH, "", new byte[] {42}).toCompletableFuture().get(30, TimeUnit.SECONDS);
      System.out.printf("LocalChannelBench: 1-byte read round trips, %d rounds after %d warm-up, %d cores, load %s%n",
          rounds, warmup, Runtime.getRuntime().availableProcessors(), load());

      LocalChannel ch = local.localChannel().orElseThrow();
      ByteBuffer one = ByteBuffer.allocate(1);
      Probe channelRead = () -> {
        one.put(0, (byte) 0);
        long n = ch.join(ch.read(PATH, 0, List.of(one), 0), WAIT);
        if (n != 1 || one.get(0) != 42) throw new IllegalStateException("channel read " + n + " bytes: " + one.get(0));
      };
      Probe channelNop = () -> ch.join(ch.nop(), WAIT);
      try (SharedBuffer shared = SharedBuffer.allocate(4096)) {
        BatchSession batch = grpc.openBatch();
        long[] id = {0};
        Probe grpcPreadv = () -> {
          batch.preadv(++id[0], PATH, 0, List.of(Sges.host(shared.name(), 0, 1)), 0);
          Completion c = batch.collect(1, WAIT).toCompletableFuture().get(30, TimeUnit.SECONDS).get(0);
          if (c.getStatus() != Status.OK || c.getValue() != 1) throw new IllegalStateException("preadv: " + c);
        };
        Probe grpcRead = () -> {
          byte[] b = grpc.readBytes(PATH, 0, 1).toCompletableFuture().get(30, TimeUnit.SECONDS);
          if (b.length != 1 || b[0] != 42) throw new IllegalStateException("Read answered " + Arrays.toString(b));
        };
        String[] names = {"channel READ", "channel NOP", "gRPC Batch preadv", "gRPC Read"};
        Probe[] probes = {channelRead, channelNop, grpcPreadv, grpcRead};
        // The paths take turns, a share of the rounds each pass, so that a burst of load from elsewhere on the
        // machine falls on all of them alike.
        int passes = 5;
        long[][] ns = new long[probes.length][rounds];
        for (int p = 0; p < probes.length; p++) for (int i = 0; i < warmup; i++) probes[p].run();
        for (int pass = 0; pass < passes; pass++) {
          for (int p = 0; p < probes.length; p++) {
            for (int i = pass * rounds / passes; i < (pass + 1) * rounds / passes; i++) {
              long t0 = System.nanoTime();
              probes[p].run();
              ns[p][i] = System.nanoTime() - t0;
            }
          }
        }
        System.out.printf("%-20s %10s %10s %10s%n", "path", "p50 us", "p99 us", "mean us");
        for (int p = 0; p < probes.length; p++) {
          long[] sorted = ns[p].clone();
          Arrays.sort(sorted);
          System.out.printf("%-20s %10.1f %10.1f %10.1f%n", names[p], sorted[rounds / 2] / 1e3,
              sorted[(int) (rounds * 0.99)] / 1e3, Arrays.stream(sorted).average().orElse(0) / 1e3);
        }
        batch.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      System.out.printf("load after: %s%n", load());
      local.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
      grpc.close().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      cassandra.stop();
    }
  }

  private interface Probe {
    void run() throws Exception;
  }

  private static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
