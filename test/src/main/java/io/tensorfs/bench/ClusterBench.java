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
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./tfs bench cluster}: four node processes on this machine over one Cassandra, once per
 * transport (Aeron IPC through one media driver shared by the nodes, Aeron UDP on loopback with a media
 * driver per node, TCP). Per transport: a {@code persistent} PUT through node-1 (3 replicas chained
 * over the transport, each fsynced), beside an O_DIRECT write of the same bytes; and two GETs through a
 * node that holds no replica (every byte crosses the transport): one with every cache dropped (the
 * replicas read from disk), beside an O_DIRECT read of a file written just before and of the chunk files
 * of one replica of each chunk (once with one open per file, once with an open per 4 MiB read); one with the replicas' nodes warmed by WILLNEED, beside a plain loopback
 * socket copy. After each GET, where its time went on each node ({@link FetchBreakdown}), and what the disk
 * and each node's busiest threads did meanwhile ({@link HostLoad}; the disk also during the O_DIRECT reads).
 * All limits are measured in the same run; every GET is checked against the CRC32C of what was PUT.
 *
 * <p>{@code --metadata memory} runs without Cassandra, for a machine that has none (the GPU machine):
 * each node journals the entities it hosts in memory and shards are never moved between nodes, which
 * holds while no node leaves during the run. The bytes take the same path either way.
 */
final class ClusterBench {
  private static final int NODES = 4;
  private static final long WARM_UP_BYTES = 128L << 20;
  private static final double GET_GOAL = 0.7;
  private static final double PUT_GOAL = 0.75;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A transport the nodes are started with: its name in the table and the nodes' system properties. */
  private record Kind(String name, List<String> properties, boolean sharedDriver) {}

  /**
   * One round's seconds: loopback copy, O_DIRECT write and read, PUT, GET from replicas on disk (every
   * cache dropped first), O_DIRECT read of one replica of each chunk (the chunk files themselves), GET from
   * replicas in memory (the replicas' nodes warmed by WILLNEED). {@code getColdAgain}: the GET from disk
   * once more after the replica files' reads, some seconds after the PUT rather than just after it.
   */
  private record Round(double loop, double direct, double directRead, double put, double getCold, double replicaRead,
      double openPerRead, double getColdAgain, double get) {}

  private ClusterBench() {}

  static void run(String[] args) throws Exception {
    long sizeMiB = 1024;
    int rounds = 3;
    boolean memoryMetadata = false;
    int profileGets = 0;
    Path dir = RepoPaths.root().resolve("test/target/bench-cluster");
    List<String> only = new ArrayList<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--size-mib" -> sizeMiB = Long.parseLong(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--transport" -> only.add(args[i + 1]);
        case "--metadata" -> memoryMetadata = switch (args[i + 1]) {
          case "memory" -> true;
          case "cassandra" -> false;
          default -> throw new IllegalArgumentException("--metadata cassandra|memory");
        };
        case "--dir" -> dir = Path.of(args[i + 1]);
        case "--profile" -> profileGets = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    long size = sizeMiB << 20;
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    Pattern bytes = new Pattern(42);

    System.out.printf("tfs bench cluster: %d nodes, %d MiB, %d rounds per transport, %d cores, %s, metadata %s%n",
        NODES, sizeMiB, rounds, Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        memoryMetadata ? "in memory (no Cassandra)" : "in Cassandra");
    EmbeddedCassandra cassandra = memoryMetadata ? null : new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()));
    String contactPoint = cassandra == null ? null : cassandra.start().contactPoint();
    Map<String, List<Round>> results = new LinkedHashMap<>();
    try {
      for (Kind kind : kinds()) {
        if (!only.isEmpty() && !only.contains(kind.name())) continue;
        results.put(kind.name(), measure(kind, dir, contactPoint, bytes, size, rounds, profileGets));
      }
    } finally {
      if (cassandra != null) cassandra.stop();
    }
    print(size, results);
  }

  private static List<Kind> kinds() {
    String shared = "/dev/shm/tensorfs-aeron-bench-" + ProcessHandle.current().pid();
    return List.of(
        new Kind("aeron-ipc", List.of("-Dtensorfs.transport.kind=aeron", "-Dtensorfs.transport.aeron.mode=ipc",
            "-Dtensorfs.transport.aeron.embedded-driver=off", "-Dtensorfs.transport.aeron.dir=" + shared), true),
        new Kind("aeron-udp", List.of("-Dtensorfs.transport.kind=aeron", "-Dtensorfs.transport.aeron.mode=udp",
            "-Dtensorfs.transport.aeron.embedded-driver=on"), false),
        new Kind("tcp", List.of("-Dtensorfs.transport.kind=tcp"), false));
  }

  private static List<Round> measure(Kind kind, Path dir, String cassandra, Pattern bytes,
      long size, int rounds, int profileGets) throws Exception {
    Path runDir = dir.resolve(kind.name());
    String driverDir = kind.properties().stream().filter(p -> p.startsWith("-Dtensorfs.transport.aeron.dir="))
        .map(p -> p.substring(p.indexOf('=') + 1)).findFirst().orElse(null);
    Process driver = kind.sharedDriver() ? startDriver(driverDir) : null;
    List<NodeProcess> nodes = nodes(kind, runDir, cassandra, size);
    try {
      NodeProcess.startAll(nodes, Duration.ofMinutes(4));
      System.out.printf("%s: %d nodes up%s%n", kind.name(), nodes.size(), kind.name().equals("tcp")
          ? ", " + io.tensorfs.transport.TransportSettings.from(com.typesafe.config.ConfigFactory.load()).tcp().lanes()
              + " lanes each (tensorfs.transport.tcp.lanes)" : "");
      // Fresh JVMs: the first transfers compile the hot paths and place the first entities; not timed.
      long warmUp = Math.min(size, WARM_UP_BYTES);
      round(kind, nodes, runDir, bytes.buffer(), warmUp, bytes.crcOf(warmUp), 0);
      int expectedCrc = bytes.crcOf(size);
      List<Round> out = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        out.add(round(kind, nodes, runDir, bytes.buffer(), size, expectedCrc, r));
      }
      if (profileGets > 0) profileGetsFromMemory(nodes, runDir, bytes.buffer(), size, expectedCrc, profileGets);
      return out;
    } finally {
      for (NodeProcess n : nodes) n.close();
      if (driver != null) {
        driver.destroy();
        driver.waitFor(20, TimeUnit.SECONDS);
        SharedCassandra.deleteTree(Path.of(driverDir));
      }
      // The node logs stay (under test/target/bench-cluster/<transport>) until the next run.
    }
  }

  private static Round round(Kind kind, List<NodeProcess> nodes, Path runDir, ByteBuffer pattern, long size,
      int expectedCrc, int r) throws Exception {
    double loop = Limits.loopbackSeconds(pattern, size);
    Path raw = runDir.resolve("raw.bin");
    double direct = Limits.directWriteSeconds(raw, pattern, size);
    Optional<String> disk = HostLoad.deviceOf(runDir);
    HostLoad.Snapshot d0 = HostLoad.take(disk);
    double directRead = Limits.directReadSeconds(raw, size);
    HostLoad.Snapshot d1 = HostLoad.take(disk);
    Files.deleteIfExists(raw);

    String path = "/bench/blob-" + r;
    long t0 = System.nanoTime();
    String answer = RawHttp.put(Endpoint.of(nodes.get(0)), "/v1/files" + path, pattern, size);
    double put = (System.nanoTime() - t0) / 1e9;
    checkPut(answer, expectedCrc);

    List<List<String>> placed = replicaNodes(nodes.get(0), path);
    NodeProcess reader = withoutReplicas(nodes, placed);
    // From the replicas' disks: no node has the file in memory.
    http(nodes.get(0), "POST", "/v1/cache" + path + "?op=dontneed");
    FetchBreakdown.Snapshot s0 = FetchBreakdown.take(nodes);
    HostLoad.Snapshot h0 = HostLoad.take(disk, nodes);
    double getCold = timedGet(reader, path, size, expectedCrc);
    HostLoad.Snapshot h1 = HostLoad.withJavaNames(HostLoad.take(disk, nodes), nodes);
    FetchBreakdown.Snapshot s1 = FetchBreakdown.take(nodes);
    HostLoad.Snapshot r0 = HostLoad.take(disk);
    double replicaRead = replicaReadSeconds(nodes, placed, path);
    HostLoad.Snapshot r1 = HostLoad.take(disk);
    double openPerRead = replicaReadOpenEachSeconds(nodes, placed, path);
    // Again, later: whether a GET right after the PUT meets a disk still busy with it.
    http(nodes.get(0), "POST", "/v1/cache" + path + "?op=dontneed");
    FetchBreakdown.Snapshot a0 = FetchBreakdown.take(nodes);
    HostLoad.Snapshot g0 = HostLoad.take(disk, nodes);
    double getColdAgain = timedGet(reader, path, size, expectedCrc);
    HostLoad.Snapshot g1 = HostLoad.withJavaNames(HostLoad.take(disk, nodes), nodes);
    FetchBreakdown.Snapshot a1 = FetchBreakdown.take(nodes);
    // From the replicas' memory: every byte still crosses the transport into the reader's pages.
    http(nodes.get(0), "POST", "/v1/cache" + path + "?op=dontneed");
    http(nodes.get(0), "POST", "/v1/cache" + path + "?op=willneed");
    FetchBreakdown.Snapshot s2 = FetchBreakdown.take(nodes);
    HostLoad.Snapshot m0 = HostLoad.take(disk, nodes);
    double get = timedGet(reader, path, size, expectedCrc);
    HostLoad.Snapshot m1 = HostLoad.withJavaNames(HostLoad.take(disk, nodes), nodes);
    FetchBreakdown.Snapshot s3 = FetchBreakdown.take(nodes);
    http(nodes.get(0), "DELETE", "/v1/files" + path);
    System.out.printf("%s %s: loopback %.0f, O_DIRECT write %.0f read %.0f, PUT %.0f (3 replicas on %s), GET via %s"
            + " from disk %.0f (replica files read O_DIRECT %.0f, with an open per 4 MiB read as a node does %.0f;"
            + " the GET from disk again %.0f), from memory %.0f MB/s%n",
        kind.name(), r == 0 ? "warm-up (not counted)" : "round " + r, HttpBench.mbps(size, loop),
        HttpBench.mbps(size, direct), HttpBench.mbps(size, directRead), HttpBench.mbps(size, put), placed.get(0),
        reader.nodeId(), HttpBench.mbps(size, getCold), HttpBench.mbps(size, replicaRead), HttpBench.mbps(size, openPerRead),
        HttpBench.mbps(size, getColdAgain), HttpBench.mbps(size, get));
    HostLoad.describeDisk(d0, d1).ifPresent(line -> System.out.println("  O_DIRECT read, " + line));
    for (String line : FetchBreakdown.describe(s0, s1, getCold)) System.out.println("  GET from disk, " + line);
    printLoad("GET from disk", h0, h1);
    HostLoad.describeDisk(r0, r1).ifPresent(line -> System.out.println("  replica files read O_DIRECT, " + line));
    for (String line : FetchBreakdown.describe(a0, a1, getColdAgain)) System.out.println("  GET from disk again, " + line);
    printLoad("GET from disk again", g0, g1);
    for (String line : FetchBreakdown.describe(s2, s3, get)) System.out.println("  GET from memory, " + line);
    printLoad("GET from memory", m0, m1);
    return new Round(loop, direct, directRead, put, getCold, replicaRead, openPerRead, getColdAgain, get);
  }

  /**
   * After the counted rounds: {@code gets} more GETs from the replicas' memory, each checked, while every
   * node records a flight recording; prints each node's hot threads and methods (where the reader and the
   * holders spend the GET). Not counted in the table: the recording costs a little.
   */
  private static void profileGetsFromMemory(List<NodeProcess> nodes, Path runDir, ByteBuffer pattern, long size,
      int expectedCrc, int gets) throws Exception {
    if (!NodeJfr.available()) {
      System.out.println("profile: no jcmd in this runtime, nothing recorded");
      return;
    }
    String path = "/bench/profiled";
    checkPut(RawHttp.put(Endpoint.of(nodes.get(0)), "/v1/files" + path, pattern, size), expectedCrc);
    NodeProcess reader = withoutReplicas(nodes, replicaNodes(nodes.get(0), path));
    List<NodeJfr> recorders = new ArrayList<>();
    for (NodeProcess n : nodes) recorders.add(new NodeJfr(n.pid()));
    for (NodeJfr r : recorders) r.start();
    double seconds = 0;
    for (int i = 0; i < gets; i++) {
      http(nodes.get(0), "POST", "/v1/cache" + path + "?op=dontneed");
      http(nodes.get(0), "POST", "/v1/cache" + path + "?op=willneed");
      seconds += timedGet(reader, path, size, expectedCrc);
    }
    System.out.printf("profile: %d GETs via %s from memory while recording, %.0f MB/s%n", gets, reader.nodeId(),
        HttpBench.mbps(size * gets, seconds));
    for (int i = 0; i < nodes.size(); i++) {
      Path file = recorders.get(i).save(runDir.resolve("profile-" + nodes.get(i).nodeId() + ".jfr"));
      System.out.println("profile of " + nodes.get(i).nodeId() + (nodes.get(i) == reader ? " (the reader)" : "")
          + " over the whole recording (the cache calls between GETs included):");
      for (String line : HotSpots.of(file).describe(12)) System.out.println("  " + line);
    }
    http(nodes.get(0), "DELETE", "/v1/files" + path);
  }

  /** The disk and the nodes' busiest threads over a timed step (see {@link HostLoad}). */
  private static void printLoad(String step, HostLoad.Snapshot before, HostLoad.Snapshot after) {
    HostLoad.describeDisk(before, after).ifPresent(line -> System.out.println("  " + step + ", " + line));
    HostLoad.describeUdp(before, after).ifPresent(line -> System.out.println("  " + step + ", " + line));
    for (String line : HostLoad.describeThreads(before, after, 5)) System.out.println("  " + step + ", " + line);
  }

  private static double timedGet(NodeProcess reader, String path, long size, int expectedCrc) throws Exception {
    long t0 = System.nanoTime();
    int crc = RawHttp.get(Endpoint.of(reader), "/v1/files" + path, size);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (crc != expectedCrc) throw new IllegalStateException("GET returned other bytes than were PUT");
    return seconds;
  }

  /**
   * Seconds to read with O_DIRECT, chunk after chunk, the data file of each chunk of {@code path} at its
   * last listed replica (the GET reads the first one it lists): the bytes a GET from disk reads, from files
   * written as that GET's were, on the same disk, with the bench's own 4 MiB reads. The other limit (a file
   * the bench writes and reads back at once) may be served by a cache beneath a virtual disk.
   */
  private static double replicaReadSeconds(List<NodeProcess> nodes, List<List<String>> placed, String path)
      throws IOException {
    double seconds = 0;
    for (int index = 0; index < placed.size(); index++) {
      List<String> holders = placed.get(index);
      String holder = holders.get(holders.size() - 1);
      NodeProcess node = nodes.stream().filter(n -> n.nodeId().equals(holder)).findFirst().orElseThrow();
      Path data = chunkDir(node.dataDir().resolve("store0").resolve("chunks"), path).resolve(index + ".data");
      seconds += Limits.directReadSeconds(data, Files.size(data));
    }
    return seconds;
  }

  /**
   * Seconds to read, chunk after chunk, the data file of each chunk of {@code path} at its second listed
   * replica the way a node serves a fetch from disk: for every 4 MiB, its checksum table read whole, the data
   * file opened with O_DIRECT, the 4 MiB read, both closed. Beside {@link #replicaReadSeconds} (one open per
   * file), it shows what opening a replica per read costs on this disk.
   */
  private static double replicaReadOpenEachSeconds(List<NodeProcess> nodes, List<List<String>> placed, String path)
      throws IOException {
    ByteBuffer buf = Limits.readBuffer(4 << 20);
    long t0 = System.nanoTime();
    for (int index = 0; index < placed.size(); index++) {
      String holder = placed.get(index).get(1);
      NodeProcess node = nodes.stream().filter(n -> n.nodeId().equals(holder)).findFirst().orElseThrow();
      Path dir = chunkDir(node.dataDir().resolve("store0").resolve("chunks"), path);
      Path data = dir.resolve(index + ".data");
      Path crc = dir.resolve(index + ".crc");
      long size = Files.size(data);
      for (long at = 0; at < size; at += buf.capacity()) {
        Files.readAllBytes(crc);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(data,
            java.nio.file.StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
          buf.clear();
          ch.read(buf, at);
        }
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The folder of the version of {@code path} a store keeps (its {@code owner} file names the path). */
  private static Path chunkDir(Path chunks, String path) throws IOException {
    try (var dirs = Files.list(chunks)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Path owner = dir.resolve("owner");
        if (Files.exists(owner) && Files.readString(owner, StandardCharsets.UTF_8).strip().equals(path)) return dir;
      }
    }
    throw new IOException("no chunks of " + path + " under " + chunks);
  }

  /** @param size the file size: each node's cache holds one file and a half (WILLNEED, then a GET's pages) */
  private static List<NodeProcess> nodes(Kind kind, Path runDir, String cassandra, long size) {
    int[] ports = new int[NODES];
    for (int i = 0; i < NODES; i++) ports[i] = NodeProcess.freePort();
    List<String> seeds = new ArrayList<>();
    for (int port : ports) seeds.addAll(List.of("--seed", "127.0.0.1:" + port));
    List<NodeProcess> nodes = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      String id = "node-" + (i + 1);
      List<String> props = new ArrayList<>(kind.properties());
      long cacheMiB = (size + size / 2 >> 20) + 256;
      props.add("-Dtensorfs.cache.capacity=" + cacheMiB + "MiB");
      props.add("-XX:MaxDirectMemorySize=" + (cacheMiB + 1024) + "m");
      if (!kind.sharedDriver() && kind.name().startsWith("aeron")) {
        props.add("-Dtensorfs.transport.aeron.dir=/dev/shm/tensorfs-aeron-bench-" + ProcessHandle.current().pid() + "-" + id);
      }
      props.add("-Dtensorfs.transport.rdma.probe=off");
      props.add(FetchBreakdown.TICK_PROPERTY);
      List<String> args = new ArrayList<>(seeds);
      if (cassandra == null) {
        props.addAll(List.of("-Dpekko.persistence.journal.plugin=pekko.persistence.journal.inmem",
            "-Dtensorfs.sharding.directories.store=memory",
            "-Dpekko.persistence.snapshot-store.plugin=pekko.persistence.snapshot-store.local",
            "-Dpekko.persistence.snapshot-store.local.dir=" + runDir.resolve(id).resolve("snapshots"),
            // An entity's events live in the memory of the node that hosts it: shards must stay put.
            "-Dpekko.cluster.sharding.rebalance-interval=200d"));
      }
      String keyspace = "bench_" + kind.name().replace('-', '_');
      nodes.add(new NodeProcess(id, runDir.resolve(id), cassandra, keyspace, props, ports[i], args, List.of()));
    }
    return nodes;
  }

  /** Starts the host's shared media driver and waits until it says it runs. */
  private static Process startDriver(String driverDir) throws IOException {
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
    throw new IOException("the media driver exited before it ran (status " + p.exitValue() + ")");
  }

  /**
   * The nodes holding a CLEAN replica, per chunk, as node-1's {@code GET /v1/stat} lists them, once every
   * chunk has 3 (right after start a node may not know all peers yet and place fewer; repair adds them).
   */
  private static List<List<String>> replicaNodes(NodeProcess via, String path) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode stat = JSON.readTree(http(via, "GET", "/v1/stat" + path));
      List<List<String>> out = new ArrayList<>();
      for (JsonNode chunk : stat.get("chunks")) {
        List<String> clean = new ArrayList<>();
        for (JsonNode rep : chunk.get("replicas")) {
          if (rep.get("state").asText().equals("CLEAN")) clean.add(rep.get("node").asText());
        }
        out.add(clean);
      }
      if (out.stream().allMatch(c -> c.size() == 3)) return out;
      if (System.nanoTime() > until) throw new IllegalStateException("a chunk without 3 CLEAN replicas: " + stat);
      TimeUnit.MILLISECONDS.sleep(500); // waiting for the nodes' repair
    }
  }

  private static NodeProcess withoutReplicas(List<NodeProcess> nodes, List<List<String>> placed) {
    for (NodeProcess n : nodes) {
      if (placed.stream().noneMatch(s -> s.contains(n.nodeId()))) return n;
    }
    throw new IllegalStateException("every node holds a replica of some chunk: " + placed);
  }

  private static String http(NodeProcess node, String method, String path) throws Exception {
    HttpClient client = new BearerHttpClient(HttpClient.newHttpClient(), AdminToken.of(node));
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(node.baseUri() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofMinutes(1)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    return r.body();
  }

  private static void checkPut(String answer, int expectedCrc) throws Exception {
    int body = answer.indexOf("\r\n\r\n");
    if (!answer.startsWith("HTTP/1.1 201") || body < 0) throw new IllegalStateException("PUT failed: " + answer);
    JsonNode json = JSON.readTree(answer.substring(body + 4));
    if (!json.get("crc32c").asText().equals(Crc32c.hex(expectedCrc))) {
      throw new IllegalStateException("PUT stored other bytes: " + json);
    }
  }

  private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> column) {
    double[] v = rounds.stream().mapToDouble(column).sorted().toArray();
    return v[v.length / 2];
  }

  private static void print(long size, Map<String, List<Round>> results) {
    System.out.println();
    System.out.println("| transport (median of rounds, MB/s = 10^6 B/s) | loopback socket (limit) | GET, replicas in memory"
        + " | ÷ loopback (goal ≥ " + GET_GOAL + " on the best) | O_DIRECT read (limit) | GET, replicas on disk | ÷ O_DIRECT read"
        + " | O_DIRECT read of the replica files | GET from disk ÷ that | the same with an open per 4 MiB read"
        + " | GET from disk again, after those | ÷ O_DIRECT read"
        + " | O_DIRECT write ÷ 3 (limit) | PUT persistent, 3 replicas | ÷ (O_DIRECT write ÷ 3) (goal ≥ " + PUT_GOAL + ") |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    double bestGet = 0;
    double bestPut = 0;
    for (var e : results.entrySet()) {
      List<Round> rounds = e.getValue();
      double loop = HttpBench.mbps(size, median(rounds, Round::loop));
      double get = HttpBench.mbps(size, median(rounds, Round::get));
      double read = HttpBench.mbps(size, median(rounds, Round::directRead));
      double cold = HttpBench.mbps(size, median(rounds, Round::getCold));
      double replicas = HttpBench.mbps(size, median(rounds, Round::replicaRead));
      double openEach = HttpBench.mbps(size, median(rounds, Round::openPerRead));
      double again = HttpBench.mbps(size, median(rounds, Round::getColdAgain));
      double third = HttpBench.mbps(size, median(rounds, Round::direct)) / 3;
      double put = HttpBench.mbps(size, median(rounds, Round::put));
      bestGet = Math.max(bestGet, get / loop);
      bestPut = Math.max(bestPut, put / third);
      System.out.printf("| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |%n",
          e.getKey(), loop, get, get / loop, read, cold, cold / read, replicas, cold / replicas, openEach, again, again / read,
          third, put, put / third);
    }
    System.out.printf("%nbest cross-node GET %.2f of loopback (goal %.2f: %s); best PUT %.2f of O_DIRECT ÷ 3 (goal %.2f: %s)%n",
        bestGet, GET_GOAL, bestGet >= GET_GOAL ? "met" : "not met", bestPut, PUT_GOAL, bestPut >= PUT_GOAL ? "met" : "not met");
  }
}
