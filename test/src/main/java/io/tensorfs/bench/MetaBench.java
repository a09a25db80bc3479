package io.tensorfs.bench;

import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code ./tfs bench meta}: file operations per second on one node, each beside its peer measured in the same
 * run on the same disk. One fresh Cassandra and one node (auth on, the admin token), warmed up until the
 * create rate settles (not counted), then:
 * <ol>
 *   <li>creates of small {@code persistent} files (1 byte, 64 KiB) by {@code --clients} clients, into one
 *       directory and into one per client, beside the local file system doing the same (write a temporary
 *       file, fsync, rename into place, fsync the directory) with as many threads;</li>
 *   <li>stat (HEAD) and GET of small files, beside the file system's stat and read;</li>
 *   <li>KV blocks ({@link KvMetaBench}): the index in this JVM and 1-byte blocks over HTTP, beside Redis;</li>
 *   <li>what a create, a stat and a GET cost: Cassandra's statements by table, CPU of the node and of
 *       Cassandra, and with {@code --profile} the node's CPU by area from a JFR recording;</li>
 *   <li>a directory of {@code --dir-entries}: insert cost at its start and at its end, paginated listing,
 *       and the node's restart until the directory lists again.</li>
 * </ol>
 * Every create must answer 201 and a sample of each round is read back byte-exact; every GET's bytes are
 * checked; listings must be sorted, complete and without duplicates. A failed check ends the run.
 */
public final class MetaBench {
  private static final String TENANT = "bench";
  private static final int[] SIZES = {1, 64 << 10};

  private final MetaOptions options;
  private final FsPeer fs;
  private final List<String> tables = new ArrayList<>();
  /** Checks that failed in a part that goes on to measure what it still can (a listing, a restart). */
  private final List<String> failures = new ArrayList<>();
  private final Map<String, CostProbe.Cost> costs = new java.util.LinkedHashMap<>();
  private NodeProcess node;
  private TfsClients tfs;
  private CostProbe probe;
  private boolean readFilesMade;
  private long readBacks;
  private long listedEntries;
  private boolean kvMeasured;
  /** Checks made by the clients of the node before its restart (new clients count from zero). */
  private long earlierCreates;
  private long earlierStats;
  private long earlierGets;

  /** What a run checked, for the test that runs it; a run whose check fails throws instead. */
  public record Checks(long createsChecked, long readBacks, long statsChecked, long getsChecked, long listedEntries,
                       boolean kvMeasured, List<String> tables) {}

  private MetaBench(MetaOptions options, FsPeer fs) {
    this.options = options;
    this.fs = fs;
  }

  /** Runs the benchmark with command-line {@code args} ({@link MetaOptions#usage()}), prints its tables. */
  public static Checks run(String[] args) throws Exception {
    MetaOptions o = MetaOptions.parse(args);
    System.out.printf("tfs bench meta: %d clients, %.0f s per load, %d cores, %s%s%n", o.clients(), o.seconds(),
        Runtime.getRuntime().availableProcessors(), o.quick() ? "quick (small counts: checks, not figures)" : "full",
        o.profile() ? ", JFR profile" : "");
    if (!o.nodeOptions().isEmpty()) System.out.println("node options: " + String.join(" ", o.nodeOptions()));
    SharedCassandra.deleteTree(o.dir());
    Files.createDirectories(o.dir());
    EmbeddedCassandra cassandra = new EmbeddedCassandra(CassandraSettings.defaults(o.dir().resolve("cassandra"))
        .withLibDir(RepoPaths.cassandraLib()).withStartTimeout(Duration.ofMinutes(5)));
    var db = cassandra.start();
    MetaBench bench = new MetaBench(o, new FsPeer(o.dir().resolve("fs-peer")));
    try (CassandraCounts counts = new CassandraCounts(db.cqlPort())) {
      // The scrubber's first pass (10 min after start) would read every replica in the middle of the loads.
      bench.node = new NodeProcess("node-1", o.dir().resolve("node-1"), db.contactPoint(), TENANT,
          nodeProps(o)).start(Duration.ofMinutes(3));
      bench.probe = new CostProbe(bench.node.pid(), cassandra.recordedPid().orElseThrow(), counts);
      bench.tfs = new TfsClients(Endpoint.of(bench.node), o.clients());
      bench.all();
      return bench.checks();
    } finally {
      if (bench.tfs != null) bench.tfs.close();
      if (bench.node != null) bench.node.close();
      cassandra.stop();
    }
  }

  private static List<String> nodeProps(MetaOptions o) {
    List<String> props = new ArrayList<>(List.of("-Dtensorfs.store.scrub.enabled=off"));
    props.addAll(o.nodeOptions());
    return props;
  }

  private Checks checks() {
    return new Checks(earlierCreates + tfs.createsChecked.get(), readBacks, earlierStats + tfs.statsChecked.get(),
        earlierGets + tfs.getsChecked.get(),
        listedEntries, kvMeasured, List.copyOf(tables));
  }

  /** Keeps a finished table for the summary and prints it now, so a later failure does not lose it. */
  private void table(String t) {
    tables.add(t);
    System.out.println("\n" + t);
  }

  private void all() throws Exception {
    warmUp();
    if (options.runs("creates")) creates();
    if (options.runs("reads")) reads();
    if (options.runs("kv")) kv();
    if (options.runs("profile")) profile();
    if (options.runs("dirs")) directory();
    System.out.println();
    System.out.println("## tfs bench meta");
    for (String t : tables) System.out.println("\n" + t);
    if (!failures.isEmpty()) throw new IllegalStateException("checks failed: " + String.join("; ", failures));
  }

  // --- warm-up ------------------------------------------------------------------------------------------

  /**
   * Creates of both sizes, stats and GETs in windows until the node's code is compiled: at least the
   * minimum (C2 takes about 60 s on 2 cores), then until two windows in a row create within 10 % of each other.
   */
  private void warmUp() throws Exception {
    double elapsed = 0;
    double previous = -1;
    for (int w = 0; elapsed < options.warmMaxSeconds(); w++) {
      String round = TENANT + "/warm/w" + w;
      ClosedLoop.Result r = ClosedLoop.forSeconds(options.clients(), options.warmWindowSeconds(), (c, seq) -> {
        String prefix = round + "/c" + c + "/f";
        switch ((int) (seq % 4)) {
          case 0 -> tfs.create(c, prefix + seq, SIZES[0]);
          case 1 -> tfs.create(c, prefix + seq, SIZES[1]);
          case 2 -> tfs.stat(c, prefix + (seq - 2), SIZES[0]);
          default -> tfs.get(c, prefix + (seq - 2), SIZES[1]);
        }
      });
      elapsed += r.seconds();
      double rate = r.perSecond();
      System.out.printf("warm-up window %d: %.0f ops/s (half creates), %.0f s so far%n", w, rate, elapsed);
      boolean settled = previous > 0 && Math.abs(rate - previous) <= 0.10 * previous;
      if (elapsed >= options.warmMinSeconds() && settled) break;
      previous = rate;
    }
  }

  // --- 1. creates -----------------------------------------------------------------------------------------

  private void creates() throws Exception {
    MarkdownTable t = new MarkdownTable("create + seal, " + options.clients() + " clients", "tensorfs creates/s",
        "p50 ms", "p99 ms", "local fs creates/s", "p50 ms", "p99 ms", "tensorfs ÷ fs");
    for (int size : SIZES) {
      for (boolean perClient : new boolean[] {false, true}) {
        String label = sizeLabel(size) + (perClient ? ", a directory per client" : ", one directory");
        String round = "c" + size + (perClient ? "-per" : "-one");
        CostProbe.Mark m = probe.mark();
        ClosedLoop.Result n = ClosedLoop.forSeconds(options.clients(), options.seconds(),
            (c, seq) -> tfs.create(c, tfsName(round, perClient, c, seq), size));
        costs.put("create " + label, probe.since(m, n.ops()));
        for (int c = 0; c < options.clients(); c++) {
          tfs.get(c, tfsName(round, perClient, c, 0), size);
          readBacks++;
        }
        ClosedLoop.Result f = ClosedLoop.forSeconds(options.clients(), options.seconds(), (c, seq) -> {
          fs.create(fs.dir(round + (perClient ? "/c" + c : "")), fsName(c, seq), size);
        });
        for (int c = 0; c < options.clients(); c++) fs.read(fs.dir(round + (perClient ? "/c" + c : "")), fsName(c, 0), size);
        System.out.printf("%s: tensorfs %.0f/s, fs %.0f/s%n", label, n.perSecond(), f.perSecond());
        t.row(label, MarkdownTable.num(n.perSecond()), MarkdownTable.num(n.p50Ms()), MarkdownTable.num(n.p99Ms()),
            MarkdownTable.num(f.perSecond()), MarkdownTable.num(f.p50Ms()), MarkdownTable.num(f.p99Ms()),
            String.format("%.3g", n.perSecond() / f.perSecond()));
      }
    }
    table(t.toString());
  }

  private static String tfsName(String round, boolean perClient, int client, long seq) {
    return TENANT + "/" + round + (perClient ? "/c" + client + "/f" + seq : "/c" + client + "-f" + seq);
  }

  private static String fsName(int client, long seq) {
    return "c" + client + "-f" + seq;
  }

  private static String sizeLabel(int size) {
    return size >= 1024 ? (size >> 10) + " KiB" : size + " B";
  }

  // --- 2. stat and GET ------------------------------------------------------------------------------------

  private String readName(int size, long i) {
    return TENANT + "/read" + size + "/f" + i;
  }

  private void makeReadFiles() throws Exception {
    if (readFilesMade) return;
    for (int size : SIZES) {
      ClosedLoop.forCount(options.clients(), options.readFiles(), (c, i) -> tfs.create(c, readName(size, i), size));
      Path d = fs.dir("read" + size);
      ClosedLoop.forCount(options.clients(), options.readFiles(), (c, i) -> fs.create(d, fsName(0, i), size));
    }
    readFilesMade = true;
  }

  private long pick() {
    return ThreadLocalRandom.current().nextInt(options.readFiles());
  }

  private void reads() throws Exception {
    makeReadFiles();
    MarkdownTable t = new MarkdownTable("read, " + options.clients() + " clients, " + options.readFiles() + " files",
        "tensorfs ops/s", "p50 ms", "p99 ms", "local fs ops/s", "p50 ms", "p99 ms");
    for (int size : SIZES) {
      for (boolean stat : new boolean[] {true, false}) {
        if (stat && size != SIZES[0]) continue; // a stat does not depend on the size
        String label = stat ? "stat (HEAD)" : "GET " + sizeLabel(size);
        Path d = fs.dir("read" + size);
        CostProbe.Mark m = probe.mark();
        ClosedLoop.Result n = ClosedLoop.forSeconds(options.clients(), options.seconds(), (c, seq) -> {
          if (stat) tfs.stat(c, readName(size, pick()), size);
          else tfs.get(c, readName(size, pick()), size);
        });
        costs.put(label, probe.since(m, n.ops()));
        ClosedLoop.Result f = ClosedLoop.forSeconds(options.clients(), options.seconds(), (c, seq) -> {
          if (stat) fs.stat(d, fsName(0, pick()), size);
          else fs.read(d, fsName(0, pick()), size);
        });
        System.out.printf("%s: tensorfs %.0f/s, fs %.0f/s%n", label, n.perSecond(), f.perSecond());
        t.row(label, MarkdownTable.num(n.perSecond()), MarkdownTable.num(n.p50Ms()), MarkdownTable.num(n.p99Ms()),
            MarkdownTable.num(f.perSecond()), MarkdownTable.num(f.p50Ms()), MarkdownTable.num(f.p99Ms()));
      }
    }
    table(t.toString());
  }

  // --- 3. KV blocks ---------------------------------------------------------------------------------------

  /**
   * KV blocks through {@link KvMetaBench}: its index and {@code KvBlocks} in a one-node cluster in this JVM,
   * 1-byte blocks over HTTP against this run's node, and Redis beside them where {@code redis-server} is installed.
   */
  private void kv() throws Exception {
    KeepAliveHttp.Answer probeAnswer = tfs.raw(0, "GET", "/v1/kv/" + TENANT + "/probe", null);
    if (probeAnswer.status() != 404 || probeAnswer.text().contains("no such endpoint")) {
      String why = "KV blocks: not measured: this node has no /v1/kv (GET answered " + probeAnswer.status() + ")";
      table(why);
      return;
    }
    Duration warm = Duration.ofMillis((long) (1000 * Math.min(options.warmWindowSeconds(), 10)));
    Duration measure = Duration.ofMillis((long) (1000 * options.seconds()));
    // KvMetaBench's GETs read keys c{client}/k0..k999 holding "x" and count a miss as a failure; its PUT window
    // may not reach all of them on a short or loaded run, so they are put first.
    ClosedLoop.forCount(options.clients(), options.clients() * 1000, (c, i) -> {
      String uri = "/v1/kv/" + TENANT + "/c" + (i / 1000) + "/k" + (i % 1000);
      KeepAliveHttp.Answer a = tfs.raw(c, "PUT", uri, new byte[] {'x'});
      if (a.status() != 201) throw new IllegalStateException("PUT " + uri + " answered " + a.status() + ": " + a.text());
    });
    KvMetaBench.HttpFigures http = KvMetaBench.http(Endpoint.of(node), options.clients(), warm, measure);
    KvMetaBench.IndexFigures index = KvMetaBench.index(64, warm, measure);
    KvMetaBench.RedisFigures redis = null;
    if (Files.isExecutable(Path.of("/usr/bin/redis-server"))) {
      int port = NodeProcess.freePort();
      Process server = CacheBench.startRedis(options.dir().resolve("redis"), port);
      try {
        redis = KvMetaBench.redis(new java.net.InetSocketAddress("127.0.0.1", port), options.clients(), warm, measure);
      } finally {
        server.destroy();
      }
    }
    MarkdownTable t = new MarkdownTable("KV blocks of 1 B, one node", "callers", "put ops/s", "lookup/get ops/s",
        "put / get CPU us per op", "put p50 ms", "get p50 ms");
    t.row("index alone, in one JVM", index.callers(), MarkdownTable.num(index.indexPut().perSecond()),
        MarkdownTable.num(index.indexLookup().perSecond()),
        MarkdownTable.num(index.indexPut().cpuMicrosPerOp()) + " / " + MarkdownTable.num(index.indexLookup().cpuMicrosPerOp()),
        "", "");
    t.row("KvBlocks put/get, in one JVM", index.callers(), MarkdownTable.num(index.blockPut().perSecond()),
        MarkdownTable.num(index.blockGet().perSecond()),
        MarkdownTable.num(index.blockPut().cpuMicrosPerOp()) + " / " + MarkdownTable.num(index.blockGet().cpuMicrosPerOp()),
        "", "");
    t.row("HTTP /v1/kv, kept-alive clients", http.clients(), MarkdownTable.num(http.putsPerSecond()),
        MarkdownTable.num(http.getsPerSecond()), "", MarkdownTable.num(http.putP50Ms()), MarkdownTable.num(http.getP50Ms()));
    if (redis != null) {
      t.row("Redis SET/GET, loopback (peer)", redis.clients(), MarkdownTable.num(redis.setsPerSecond()),
          MarkdownTable.num(redis.getsPerSecond()), "", "", "");
    }
    kvMeasured = true;
    table(t.toString());
  }

  // --- 4. where an operation's time goes ------------------------------------------------------------------

  private void profile() throws Exception {
    makeReadFiles();
    boolean jfr = options.profile() && NodeJfr.available();
    if (options.profile() && !jfr) System.out.println("no jcmd in this runtime: the profile has no JFR breakdown");
    String[] ops = {"create 1 B", "stat (HEAD)", "GET 1 B"};
    List<CostProbe.Cost> measured = new ArrayList<>();
    List<Map<CpuArea, Long>> samples = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (int i = 0; i < ops.length; i++) {
      int which = i;
      NodeJfr recorder = new NodeJfr(node.pid());
      if (jfr) recorder.start();
      CostProbe.Mark m = probe.mark();
      ClosedLoop.Result r = ClosedLoop.forSeconds(options.clients(), options.profileSeconds(), (c, seq) -> {
        switch (which) {
          case 0 -> tfs.create(c, tfsName("profile", true, c, seq), 1);
          case 1 -> tfs.stat(c, readName(1, pick()), 1);
          default -> tfs.get(c, readName(1, pick()), 1);
        }
      });
      measured.add(probe.since(m, r.ops()));
      rates.add(r.perSecond());
      samples.add(jfr ? recorder.stop(options.dir().resolve("profile-" + i + ".jfr")) : Map.of());
      System.out.printf("profile %s: %.0f/s%n", ops[i], r.perSecond());
    }
    table(costTable(ops, measured, rates));
    if (jfr) table(areaTable(ops, measured, samples));
    if (!costs.isEmpty()) {
      List<CostProbe.Cost> loads = new ArrayList<>(costs.values());
      table(costTable(costs.keySet().toArray(String[]::new), loads, null));
    }
  }

  private String costTable(String[] ops, List<CostProbe.Cost> c, List<Double> rates) {
    String[] head = new String[ops.length + 1];
    head[0] = rates == null ? "per operation, in the loads above" : "per operation, " + options.clients() + " clients";
    System.arraycopy(ops, 0, head, 1, ops.length);
    MarkdownTable t = new MarkdownTable(head);
    if (rates != null) t.row(cells("ops/s", ops.length, i -> rates.get(i)));
    t.row(cells("node CPU ms", ops.length, i -> c.get(i).nodeMsPerOp()));
    t.row(cells("  of it JIT threads", ops.length, i -> c.get(i).node().jitMs() / c.get(i).ops()));
    t.row(cells("  of it GC + VM threads", ops.length, i -> c.get(i).node().gcVmMs() / c.get(i).ops()));
    t.row(cells("Cassandra CPU ms", ops.length, i -> c.get(i).cassandraMsPerOp()));
    t.row(cells("Cassandra writes", ops.length, i -> c.get(i).writesPerOp()));
    t.row(cells("Cassandra reads", ops.length, i -> c.get(i).readsPerOp()));
    java.util.SortedSet<String> names = new java.util.TreeSet<>();
    for (CostProbe.Cost x : c) names.addAll(x.tables().keySet());
    CassandraCounts.Table none = new CassandraCounts.Table(0, 0);
    for (String table : names) {
      if (c.stream().anyMatch(x -> x.tables().getOrDefault(table, none).writes() > 0)) {
        t.row(cells("  writes " + table, ops.length,
            i -> c.get(i).tables().getOrDefault(table, none).writes() / (double) c.get(i).ops()));
      }
      if (c.stream().anyMatch(x -> x.tables().getOrDefault(table, none).reads() > 0)) {
        t.row(cells("  reads " + table, ops.length,
            i -> c.get(i).tables().getOrDefault(table, none).reads() / (double) c.get(i).ops()));
      }
    }
    return t.toString();
  }

  /** The node's CPU per operation by area: Java samples share the CPU of the node's Java threads. */
  private String areaTable(String[] ops, List<CostProbe.Cost> c, List<Map<CpuArea, Long>> samples) {
    String[] head = new String[ops.length + 1];
    head[0] = "node CPU ms per operation (share), JFR";
    System.arraycopy(ops, 0, head, 1, ops.length);
    MarkdownTable t = new MarkdownTable(head);
    List<Map<CpuArea, Double>> ms = new ArrayList<>();
    for (int i = 0; i < ops.length; i++) {
      CostProbe.Cost x = c.get(i);
      double java = x.node().totalMs() - x.node().jitMs() - x.node().gcVmMs();
      long all = samples.get(i).values().stream().mapToLong(Long::longValue).sum();
      Map<CpuArea, Double> m = new EnumMap<>(CpuArea.class);
      for (CpuArea a : CpuArea.values()) m.put(a, all == 0 ? 0 : java * samples.get(i).getOrDefault(a, 0L) / all / x.ops());
      ms.add(m);
    }
    for (CpuArea a : CpuArea.values()) {
      Object[] row = new Object[ops.length + 1];
      row[0] = a.label;
      for (int i = 0; i < ops.length; i++) row[i + 1] = share(ms.get(i).get(a), c.get(i).nodeMsPerOp());
      t.row(row);
    }
    Object[] gc = new Object[ops.length + 1];
    Object[] jit = new Object[ops.length + 1];
    gc[0] = "GC + VM threads";
    jit[0] = "JIT compiler threads";
    for (int i = 0; i < ops.length; i++) {
      CostProbe.Cost x = c.get(i);
      gc[i + 1] = share(x.node().gcVmMs() / x.ops(), x.nodeMsPerOp());
      jit[i + 1] = share(x.node().jitMs() / x.ops(), x.nodeMsPerOp());
    }
    t.row(gc).row(jit);
    Object[] samplesRow = new Object[ops.length + 1];
    samplesRow[0] = "(Java samples)";
    for (int i = 0; i < ops.length; i++) samplesRow[i + 1] = samples.get(i).values().stream().mapToLong(Long::longValue).sum();
    t.row(samplesRow);
    return t.toString();
  }

  private static String share(double ms, double total) {
    return String.format("%s (%.0f %%)", MarkdownTable.num(ms), total == 0 ? 0 : 100 * ms / total);
  }

  private static Object[] cells(String label, int n, java.util.function.IntToDoubleFunction value) {
    Object[] row = new Object[n + 1];
    row[0] = label;
    for (int i = 0; i < n; i++) row[i + 1] = MarkdownTable.num(value.applyAsDouble(i));
    return row;
  }

  // --- 5. a large directory -------------------------------------------------------------------------------

  private void directory() throws Exception {
    int n = options.dirEntries();
    String dir = TENANT + "/big";
    int k = Math.max(1, Math.min(10_000, n / 20));
    ClosedLoop.Counted built = ClosedLoop.forCount(options.clients(), n,
        (c, i) -> tfs.create(c, dir + "/" + entryName(i), 1));
    System.out.printf("directory of %d entries built in %.0f s%n", n, built.seconds());
    MarkdownTable t = new MarkdownTable("directory of " + n + " entries, " + options.clients() + " clients",
        "creates/s", "p50 ms", "p99 ms");
    t.row("first " + k + " inserts", MarkdownTable.num(built.perSecond(0, k)), MarkdownTable.num(built.p50Ms(0, k)),
        MarkdownTable.num(built.p99Ms(0, k)));
    t.row("last " + k + " inserts", MarkdownTable.num(built.perSecond(n - k, n)), MarkdownTable.num(built.p50Ms(n - k, n)),
        MarkdownTable.num(built.p99Ms(n - k, n)));
    t.row("last ÷ first (p50)", "", String.format("%.2f", built.p50Ms(n - k, n) / built.p50Ms(0, k)), "");
    table(t.toString());

    double[] listed = listAllOrFail(dir, n, "listing");
    long t0 = System.nanoTime();
    earlierCreates += tfs.createsChecked.get();
    earlierStats += tfs.statsChecked.get();
    earlierGets += tfs.getsChecked.get();
    tfs.close();
    node.close();
    long stopped = System.nanoTime();
    node.start(Duration.ofMinutes(10));
    long healthy = System.nanoTime();
    tfs = new TfsClients(Endpoint.of(node), options.clients());
    probe = probe.withNode(node.pid());
    long lists = awaitFirstPage(dir, Duration.ofMinutes(5));
    double[] again = lists < 0 ? null : listAllOrFail(dir, n, "listing after the restart");
    MarkdownTable l = new MarkdownTable("listing " + n + " entries, pages of 1000", "entries/s", "pages", "seconds");
    listRow(l, "listed whole", listed);
    listRow(l, "listed whole after the restart", again);
    table(l.toString());
    MarkdownTable r = new MarkdownTable("node restart with the directory", "seconds");
    r.row("stop (SIGTERM until the process is gone)", MarkdownTable.num((stopped - t0) / 1e9));
    r.row("start until healthy", MarkdownTable.num((healthy - stopped) / 1e9));
    r.row("start until the directory lists", lists < 0 ? "did not list within 5 min" : MarkdownTable.num((lists - stopped) / 1e9));
    table(r.toString());
  }

  /** When the first page of {@code dir} is served after a restart (nanoTime), or -1 past {@code limit}. */
  private long awaitFirstPage(String dir, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        if (!tfs.list(0, dir, 1, null).names().isEmpty()) return System.nanoTime();
        last = "an empty first page";
      } catch (IllegalStateException | java.io.IOException notYet) {
        last = notYet.getMessage();
        java.util.concurrent.TimeUnit.MILLISECONDS.sleep(50); // polling a restarted process's readiness
      }
    }
    failures.add("the directory did not list within " + limit + " of the restart: " + last);
    return -1;
  }

  private static void listRow(MarkdownTable t, String label, double[] figures) {
    if (figures == null) {
      t.row(label, "failed", "", "");
    } else {
      t.row(label, MarkdownTable.num(figures[0]), (long) figures[1], MarkdownTable.num(figures[2]));
    }
  }

  /** {@link #listAll}, or null with the failure kept when a page is refused or the listing is wrong. */
  private double[] listAllOrFail(String dir, int n, String what) throws Exception {
    try {
      return listAll(dir, n);
    } catch (IllegalStateException | java.io.IOException e) {
      failures.add(what + ": " + e.getMessage());
      System.out.println(what + " failed: " + e.getMessage());
      return null;
    }
  }

  private static String entryName(long i) {
    return String.format("e%08d", i);
  }

  /** Lists {@code dir} page by page; every entry must be there once, in order. Entries/s, pages, seconds. */
  private double[] listAll(String dir, int n) throws Exception {
    long t0 = System.nanoTime();
    String after = null;
    String last = null;
    int pages = 0;
    long count = 0;
    do {
      TfsClients.Page p = tfs.list(0, dir, 1000, after);
      pages++;
      for (String name : p.names()) {
        if (last != null && last.compareTo(name) >= 0) throw new IllegalStateException("listing: " + name + " after " + last);
        if (!name.equals(entryName(count))) throw new IllegalStateException("listing: " + name + " where " + entryName(count) + " belongs");
        last = name;
        count++;
      }
      after = p.next();
    } while (after != null);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (count != n) throw new IllegalStateException("listing: " + count + " entries, " + n + " were created");
    listedEntries += count;
    System.out.printf("listed %d entries in %d pages, %.1f s%n", count, pages, seconds);
    return new double[] {count / seconds, pages, seconds};
  }
}
