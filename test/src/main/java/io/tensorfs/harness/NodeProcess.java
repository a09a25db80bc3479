package io.tensorfs.harness;

import io.tensorfs.core.Sysctl;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tensorfs node as its own OS process, started the way the launcher starts it, so a test can kill it
 * with SIGKILL and start it again on the same data.
 */
public final class NodeProcess implements AutoCloseable {
  private final String nodeId;
  private final Path dataDir;
  private final int httpPort;
  private final int grpcPort;
  private final int s3Port;
  private final int clusterPort;
  private final String host;
  private final List<String> command;
  private Process process;

  public NodeProcess(String nodeId, Path dataDir, String cassandra, String keyspacePrefix, List<String> systemProperties) {
    this(nodeId, dataDir, cassandra, keyspacePrefix, systemProperties, freePort(), List.of(), List.of());
  }

  /**
   * A node of a cluster: {@code clusterPort} is its Pekko port (keep it across restarts so the others
   * find it again), {@code nodeArgs} more command-line options (e.g. {@code --seed host:port}), and
   * {@code launcher} words put before {@code java} (e.g. {@code ip netns exec NS}).
   */
  public NodeProcess(String nodeId, Path dataDir, String cassandra, String keyspacePrefix, List<String> systemProperties,
      int clusterPort, List<String> nodeArgs, List<String> launcher) {
    this.nodeId = nodeId;
    this.dataDir = dataDir;
    this.httpPort = freePort();
    this.grpcPort = freePort();
    this.s3Port = freePort();
    this.clusterPort = clusterPort;
    int hostAt = nodeArgs.indexOf("--http-host");
    this.host = hostAt >= 0 ? nodeArgs.get(hostAt + 1) : "127.0.0.1";
    List<String> c = new ArrayList<>(launcher);
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.add("-Xmx512m");
    // The cache's pages are off-heap; a small cache by default, which callers may override (last wins).
    c.add("-XX:MaxDirectMemorySize=2g");
    c.add("-Dtensorfs.cache.capacity=256MiB");
    c.add("--add-exports");
    c.add("java.base/jdk.internal.misc=ALL-UNNAMED");
    c.add("--add-opens");
    c.add("java.base/java.nio=ALL-UNNAMED");
    c.add("-Dpekko.persistence.cassandra.journal.keyspace=" + keyspacePrefix + "_journal");
    c.add("-Dpekko.persistence.cassandra.snapshot.keyspace=" + keyspacePrefix + "_snapshot");
    c.addAll(systemProperties);
    c.addAll(List.of("-cp", RepoPaths.nodeClasspath(), "io.tensorfs.deploy.NodeMain",
        "--node-id", nodeId, "--data", dataDir.toString(), "--http-host", "127.0.0.1",
        "--http-port", Integer.toString(httpPort), "--grpc-port", Integer.toString(grpcPort),
        "--s3-port", Integer.toString(s3Port), "--cluster-port", Integer.toString(clusterPort)));
    if (cassandra != null) c.addAll(List.of("--cassandra", cassandra)); // none: the caller set another journal
    // Nodes whose data directories are siblings are one cluster: they share its admin token and secret.
    if (!nodeArgs.contains("--admin-token-file")) {
      c.addAll(List.of("--admin-token-file", adminTokenFile(dataDir).toString()));
    }
    if (!nodeArgs.contains("--cluster-secret-file")) {
      c.addAll(List.of("--cluster-secret-file", dataDir.toAbsolutePath().getParent().resolve("cluster.secret").toString()));
    }
    c.addAll(nodeArgs);
    this.command = List.copyOf(c);
  }

  public URI baseUri() {
    return URI.create("http://" + host + ":" + httpPort);
  }

  /** The node's gRPC address, {@code host:port}. */
  public String grpcAddress() {
    return "127.0.0.1:" + grpcPort;
  }

  /** The S3 API's {@code host:port}. */
  public String s3Address() {
    return host + ":" + s3Port;
  }

  public int clusterPort() {
    return clusterPort;
  }

  public String nodeId() {
    return nodeId;
  }

  /** The operating system's id of the running process. */
  public long pid() {
    if (process == null) throw new IllegalStateException(nodeId + " has not been started");
    return process.pid();
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The admin token file of the cluster whose nodes' data directories sit beside {@code dataDir}. */
  public static Path adminTokenFile(Path dataDir) {
    return dataDir.toAbsolutePath().getParent().resolve("admin.token");
  }

  /** Starts the process without waiting for it to become healthy (e.g. one expected never to join). */
  public NodeProcess launch() throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    killLeftOvers();
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("node.log").toFile()))
        .start();
    return this;
  }

  /** Starts the process and waits until its health endpoint answers 200. */
  public NodeProcess start(Duration deadline) throws IOException, InterruptedException {
    launch();
    HttpClient client = HttpClient.newHttpClient();
    long until = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < until) {
      if (!process.isAlive()) {
        String tail = logTail();
        System.err.println(nodeId + " exited while starting; its log ends:\n" + tail);
        throw new IllegalStateException(nodeId + " exited: " + tail);
      }
      try {
        var r = client.send(HttpRequest.newBuilder(baseUri().resolve("/v1/health")).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) return this;
      } catch (IOException notYet) {
        // not listening yet
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling an external process's readiness
    }
    throw new IllegalStateException(nodeId + " not healthy within " + deadline + ": " + logTail());
  }

  /**
   * A node process of an earlier run on this data directory that outlived its test JVM (killed by its
   * runner) would hold the directory and load the machine: it is killed first.
   */
  private void killLeftOvers() throws InterruptedException {
    List<ProcessHandle> stale = ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> {
          int at = List.of(a).indexOf("--data");
          return at >= 0 && at + 1 < a.length && a[at + 1].equals(dataDir.toString());
        }).orElse(false))
        .toList();
    for (ProcessHandle p : stale) {
      System.err.println("killing node process " + p.pid() + " left over on " + dataDir);
      p.destroyForcibly();
      p.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> p).join();
    }
  }

  /** Starts every node at once and waits until all are healthy. */
  public static void startAll(List<NodeProcess> nodes, Duration deadline) throws Exception {
    List<CompletableFuture<NodeProcess>> started = new ArrayList<>();
    for (NodeProcess n : nodes) {
      started.add(CompletableFuture.supplyAsync(() -> {
        try {
          return n.start(deadline);
        } catch (Exception e) {
          throw new IllegalStateException(n.nodeId + " did not start: " + e.getMessage(), e);
        }
      }));
    }
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
        .get(deadline.toMillis() + 60_000, TimeUnit.MILLISECONDS);
  }

  /** The process's exit code once it ends within {@code deadline} on its own; empty while it still runs. */
  public java.util.OptionalInt awaitExit(Duration deadline) throws InterruptedException {
    if (process == null || !process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      return java.util.OptionalInt.empty();
    }
    return java.util.OptionalInt.of(process.exitValue());
  }

  /** SIGKILL: no shutdown hook, no flush. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("node.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
    }
  }

  /**
   * A TCP port that is free now and that the kernel will not hand out on its own: it is taken below the
   * ephemeral range ({@code ip_local_port_range}) and below the ports the embedded Cassandra picks, so a port chosen here for a node that starts later
   * cannot meanwhile become another process's outgoing or {@code bind(0)} port. Never the same port twice
   * in one JVM.
   */
  public static int freePort() {
    int low = 10_000;
    int high = Math.min(20_000, ephemeralLow()); // from 20000 up the embedded Cassandra picks its ports (FreePorts)
    for (int tries = 0; tries < high - low; tries++) {
      int port = low + Math.floorMod(NEXT_PORT.getAndIncrement(), high - low);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress("0.0.0.0", port));
        return port;
      } catch (IOException taken) {
        // in use: the next one
      }
    }
    throw new IllegalStateException("no free TCP port in " + low + ".." + high);
  }

  private static final AtomicInteger NEXT_PORT = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 16));

  private static int ephemeralLow() {
    long low = Sysctl.firstNumber("net/ipv4/ip_local_port_range").orElse(32_768);
    return low > 12_000 && low < 65_536 ? (int) low : 32_768;
  }
}
