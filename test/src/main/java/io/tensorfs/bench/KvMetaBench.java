package io.tensorfs.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.FileId;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvEntry;
import io.tensorfs.sharding.kv.KvIndex;
import io.tensorfs.sharding.kv.KvNode;
import io.tensorfs.sharding.kv.ShardedKvBlocks;
import io.tensorfs.sharding.replication.Peers;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

/**
 * KV-block metadata operations per second on one node. {@link #index}: the KV index's put and lookup, and
 * whole 1-byte block puts and gets through {@link KvBlocks}, driven by many concurrent callers inside a
 * one-node cluster in this JVM (no HTTP, no bytes to speak of). {@link #http}: 1-byte blocks over HTTP
 * against a running node, 16 kept-alive clients by default, beside {@link #redis}: the same SET/GET
 * against Redis on loopback. {@code ./tfs bench meta} calls these; {@link #main} runs them alone, starting
 * Cassandra, a node and Redis of its own:
 * {@code java -cp ... io.tensorfs.bench.KvMetaBench [--callers 64] [--clients 16] [--warmup 30] [--seconds 10]}.
 */
public final class KvMetaBench {
  private static final String TENANT = "bench";
  /** Distinct keys the operations spread over. */
  private static final int KEYS = 100_000;

  private KvMetaBench() {}

  /**
   * Operations per second of the in-JVM index and of 1-byte blocks through {@link KvBlocks}, each with the
   * CPU time this JVM spent per operation (all its threads, in microseconds): on a machine shared with other
   * work the rate follows the CPU it was given.
   */
  public record IndexFigures(int callers, Rate indexPut, Rate indexLookup, Rate blockPut, Rate blockGet) {}

  /** One operation's rate and the CPU this JVM spent per operation, in microseconds. */
  public record Rate(double perSecond, double cpuMicrosPerOp) {}

  /** 1-byte blocks over HTTP: operations per second and median latencies. */
  public record HttpFigures(int clients, double putsPerSecond, double getsPerSecond, double putP50Ms,
      double getP50Ms) {}

  /** 1-byte values in Redis on loopback: operations per second. */
  public record RedisFigures(int clients, double setsPerSecond, double getsPerSecond) {}

  public static void main(String[] args) {
    int status = 0;
    try {
      run(args);
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status); // Pekko, Cassandra's driver and the node's clients leave non-daemon threads behind
  }

  /** Runs all three and prints a markdown table. Options: --callers N --clients N --warmup S --seconds S --no-http. */
  public static void run(String[] args) throws Exception {
    int callers = intOption(args, "--callers", 64);
    int clients = intOption(args, "--clients", 16);
    Duration warmup = Duration.ofSeconds(intOption(args, "--warmup", 30));
    Duration measure = Duration.ofSeconds(intOption(args, "--seconds", 10));
    boolean withHttp = !Arrays.asList(args).contains("--no-http");
    IndexFigures index = index(callers, warmup, measure);
    HttpFigures http = null;
    RedisFigures redis = null;
    if (withHttp) {
      Path dir = RepoPaths.root().resolve("test/target/bench-kv");
      SharedCassandra.deleteTree(dir);
      Files.createDirectories(dir);
      EmbeddedCassandra cassandra = new EmbeddedCassandra(CassandraSettings.defaults(dir.resolve("cassandra"))
          .withLibDir(RepoPaths.cassandraLib()).withStartTimeout(Duration.ofMinutes(5)));
      var db = cassandra.start();
      Process redisServer = null;
      try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), db.contactPoint(), "bench", List.of())
          .start(Duration.ofMinutes(3))) {
        http = http(Endpoint.of(node), clients, warmup, measure);
        int redisPort = NodeProcess.freePort();
        redisServer = CacheBench.startRedis(dir.resolve("redis"), redisPort);
        redis = redis(new InetSocketAddress("127.0.0.1", redisPort), clients, warmup, measure);
      } finally {
        if (redisServer != null) redisServer.destroy();
        cassandra.stop();
      }
    }
    print(index, http, redis);
  }

  /** Prints the figures as a markdown table ({@code http} and {@code redis} may be null: not measured). */
  public static void print(IndexFigures index, HttpFigures http, RedisFigures redis) {
    System.out.println();
    System.out.println("| KV metadata (1-byte blocks, one node) | callers | put ops/s | get ops/s "
        + "| put / get CPU us per op | put / get p50 ms |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    row("index alone, in the node's JVM", index.callers(), index.indexPut(), index.indexLookup());
    row("KvBlocks put/get, in the node's JVM", index.callers(), index.blockPut(), index.blockGet());
    if (http != null) {
      System.out.printf("| HTTP /v1/kv, kept-alive clients | %d | %.0f | %.0f | | %.2f / %.2f |%n", http.clients(),
          http.putsPerSecond(), http.getsPerSecond(), http.putP50Ms(), http.getP50Ms());
    }
    if (redis != null) {
      System.out.printf("| Redis SET/GET, loopback | %d | %.0f | %.0f | | |%n", redis.clients(),
          redis.setsPerSecond(), redis.getsPerSecond());
    }
  }

  private static void row(String what, int callers, Rate put, Rate get) {
    System.out.printf("| %s | %d | %.0f | %.0f | %.1f / %.1f | |%n", what, callers, put.perSecond(),
        get.perSecond(), put.cpuMicrosPerOp(), get.cpuMicrosPerOp());
  }

  // ---- over HTTP, and Redis beside it

  /**
   * 1-byte block PUTs, then GETs of the keys put, from {@code clients} kept-alive connections to {@code node},
   * each for {@code measure}, after {@code warmup} of both together. A GET must answer the byte put (a miss counts as an error:
   * nothing evicts here).
   */
  public static HttpFigures http(Endpoint node, int clients, Duration warmup, Duration measure) throws Exception {
    // The node warms up on both operations first (its JIT, its connections), then each is measured alone.
    closedLoops(clients, warmup, Duration.ZERO, c -> {
      KvHttp h = new KvHttp(node);
      return new Op() {
        int i;

        @Override
        public void run() throws Exception {
          String path = "/v1/kv/" + TENANT + "/c" + c + "/k" + (i++ % 1000);
          if (h.put(path, "x").status() != 201 || h.get(path).status() != 200) {
            throw new IllegalStateException("the warm-up's PUT or GET of " + path + " failed");
          }
        }

        @Override
        public void close() throws Exception {
          h.close();
        }
      };
    });
    Duration settle = Duration.ofSeconds(2);
    long[][] puts = closedLoops(clients, settle, measure, c -> {
      KvHttp h = new KvHttp(node);
      return new Op() {
        int i;

        @Override
        public void run() throws Exception {
          KvHttp.Answer a = h.put("/v1/kv/" + TENANT + "/c" + c + "/k" + (i++ % 1000), "x");
          if (a.status() != 201) throw new IllegalStateException("PUT answered " + a.status());
        }

        @Override
        public void close() throws Exception {
          h.close();
        }
      };
    });
    int expected = io.tensorfs.core.Crc32c.of(ByteBuffer.wrap(new byte[] {'x'}));
    long[][] gets = closedLoops(clients, settle, measure, c -> {
      KvHttp h = new KvHttp(node);
      return new Op() {
        int i;

        @Override
        public void run() throws Exception {
          KvHttp.Answer a = h.get("/v1/kv/" + TENANT + "/c" + c + "/k" + (i++ % 1000));
          if (a.status() != 200 || a.length() != 1 || a.crc32c() != expected) {
            throw new IllegalStateException("GET answered " + a.status() + " with " + a.length() + " bytes");
          }
        }

        @Override
        public void close() throws Exception {
          h.close();
        }
      };
    });
    HttpFigures f = new HttpFigures(clients, perSecond(puts, measure), perSecond(gets, measure), p50Ms(puts),
        p50Ms(gets));
    System.out.printf("HTTP /v1/kv, %d clients: PUT %.0f/s (p50 %.2f ms), GET %.0f/s (p50 %.2f ms)%n", clients,
        f.putsPerSecond(), f.putP50Ms(), f.getsPerSecond(), f.getP50Ms());
    return f;
  }

  /** 1-byte SETs, then GETs, from {@code clients} connections to the Redis at {@code server}. */
  public static RedisFigures redis(InetSocketAddress server, int clients, Duration warmup, Duration measure)
      throws Exception {
    ByteBuffer value = ByteBuffer.wrap(new byte[] {'x'});
    long[][] sets = closedLoops(clients, warmup, measure, c -> {
      Resp r = new Resp(server);
      return new Op() {
        int i;

        @Override
        public void run() throws Exception {
          r.set("c" + c + "/k" + (i++ % 1000), value.duplicate(), 1);
        }

        @Override
        public void close() throws Exception {
          r.close();
        }
      };
    });
    long[][] gets = closedLoops(clients, warmup, measure, c -> {
      Resp r = new Resp(server);
      return new Op() {
        int i;

        @Override
        public void run() throws Exception {
          r.get("c" + c + "/k" + (i++ % 1000), 1);
        }

        @Override
        public void close() throws Exception {
          r.close();
        }
      };
    });
    RedisFigures f = new RedisFigures(clients, perSecond(sets, measure), perSecond(gets, measure));
    System.out.printf("Redis, %d clients: SET %.0f/s, GET %.0f/s%n", clients, f.setsPerSecond(), f.getsPerSecond());
    return f;
  }

  /** One client's blocking operation. */
  private interface Op extends AutoCloseable {
    void run() throws Exception;
  }

  private interface OpFactory {
    Op open(int client) throws Exception;
  }

  /**
   * Runs one thread per client, each repeating its operation for {@code warmup} (not counted) and then for
   * {@code measure}; answers each client's latencies in ns of the measured window. Fails if any failed.
   */
  private static long[][] closedLoops(int clients, Duration warmup, Duration measure, OpFactory factory)
      throws Exception {
    long[][] latencies = new long[clients][];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + measure.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      Thread t = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        try (Op op = factory.open(client)) {
          while (System.nanoTime() < end && failure.get() == null) {
            long t0 = System.nanoTime();
            op.run();
            long t1 = System.nanoTime();
            if (t0 >= measureFrom && t1 <= end) {
              if (n == mine.length) mine = Arrays.copyOf(mine, n * 2);
              mine[n++] = t1 - t0;
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
        latencies[client] = Arrays.copyOf(mine, n);
      }, "kv-bench-client-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
    if (failure.get() != null) throw new IllegalStateException("a client failed", failure.get());
    return latencies;
  }

  private static double perSecond(long[][] latencies, Duration measure) {
    long n = 0;
    for (long[] l : latencies) n += l.length;
    return n / (measure.toNanos() / 1e9);
  }

  private static double p50Ms(long[][] latencies) {
    long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    return all.length == 0 ? 0 : all[all.length / 2] / 1e6;
  }

  private static int intOption(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
    return fallback;
  }

  // ---- in the JVM

  /**
   * Starts a one-node cluster in this JVM and measures, each for {@code measure} after {@code warmup}: index
   * puts, index lookups, 1-byte block puts and 1-byte block gets, {@code callers} operations in flight.
   */
  public static IndexFigures index(int callers, Duration warmup, Duration measure) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "kvbench", benchConfig());
    try {
      joinAlone(system);
      KvNode node = KvNode.get(system);
      node.usePages(io.tensorfs.sharding.kv.KvPages.from(io.tensorfs.core.memory.PagePool.allocate(
          io.tensorfs.core.memory.PagePoolSettings.regular(64L << 20, 4 << 20))));
      KvIndex index = node.index();
      KvBlocks blocks = new ShardedKvBlocks(node, new Peers("bench-node"), Materializer.matFromSystem(system));
      ByteString one = ByteString.fromString("x");
      Rate indexPuts = opsPerSecond(callers, warmup, measure,
          () -> index.put(TENANT, key(), new KvEntry("bench-node", FileId.random(), 1, 0)));
      Rate indexLookups = opsPerSecond(callers, warmup, measure, () -> index.lookup(TENANT, key()));
      Rate blockPuts = opsPerSecond(callers, warmup, measure, () -> blocks.put(TENANT, key(), one));
      Rate blockGets = opsPerSecond(callers, warmup, measure, () -> blocks.get(TENANT, key()).thenApply(b -> {
        if (b.isPresent() && !b.get().equals(one)) throw new IllegalStateException("a hit with other bytes");
        return b;
      }));
      IndexFigures f = new IndexFigures(callers, indexPuts, indexLookups, blockPuts, blockGets);
      System.out.printf("KV index, %d callers: index put %s, lookup %s; block put %s, get %s%n", callers,
          text(indexPuts), text(indexLookups), text(blockPuts), text(blockGets));
      return f;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Config benchConfig() {
    return ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.loglevel = WARNING
            tensorfs.node.id = bench-node
            """).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  private static void joinAlone(ActorSystem<?> system) throws InterruptedException {
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > until) throw new IllegalStateException("the bench's cluster of one never came up");
      TimeUnit.MILLISECONDS.sleep(50); // polling the cluster's own start
    }
  }

  private static String key() {
    return "k" + ThreadLocalRandom.current().nextInt(KEYS);
  }

  /**
   * Runs {@code op} from {@code callers} closed loops (each starts its next operation when the last
   * completes) and counts the completions during {@code measure}, after {@code warmup}. Fails if any failed.
   */
  static Rate opsPerSecond(int callers, Duration warmup, Duration measure, Supplier<CompletionStage<?>> op)
      throws InterruptedException {
    Loops loops = new Loops(op);
    for (int i = 0; i < callers; i++) loops.next();
    TimeUnit.NANOSECONDS.sleep(warmup.toNanos()); // the measured window, by the clock
    long before = loops.done.get();
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    TimeUnit.NANOSECONDS.sleep(measure.toNanos());
    long count = loops.done.get() - before;
    long cpu = processCpuNanos() - cpu0;
    double seconds = (System.nanoTime() - t0) / 1e9;
    loops.stop = true;
    if (!loops.finished.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("operations did not end");
    if (loops.failure.get() != null) throw new IllegalStateException("an operation failed", loops.failure.get());
    return new Rate(count / seconds, count == 0 ? 0 : cpu / 1e3 / count);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String text(Rate r) {
    return String.format("%.0f/s (%.1f us CPU each)", r.perSecond(), r.cpuMicrosPerOp());
  }

  /** The closed loops of {@link #opsPerSecond}. */
  private static final class Loops {
    final Supplier<CompletionStage<?>> op;
    final AtomicLong done = new AtomicLong();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicLong running = new AtomicLong();
    final CountDownLatch finished = new CountDownLatch(1);
    volatile boolean stop;

    Loops(Supplier<CompletionStage<?>> op) {
      this.op = op;
    }

    void next() {
      running.incrementAndGet();
      again();
    }

    private void again() {
      if (stop || failure.get() != null) {
        if (running.decrementAndGet() == 0) finished.countDown();
        return;
      }
      CompletableFuture<?> stage = op.get().toCompletableFuture();
      if (stage.isDone()) {
        // Answered at once: go on from another thread rather than deeper in this one's stack.
        stage.whenComplete(this::count);
        ForkJoinPool.commonPool().execute(this::again);
        return;
      }
      stage.whenComplete((r, e) -> {
        count(r, e);
        again();
      });
    }

    private void count(Object result, Throwable error) {
      if (error != null) failure.compareAndSet(null, error);
      done.incrementAndGet();
    }
  }
}
