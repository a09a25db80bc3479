package io.tensorfs.test;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * N tensorfs nodes as separate processes on this machine, joined into one Pekko cluster: every node is
 * given every node's cluster port as a seed (so a restarted node, the first seed included, joins the
 * cluster that runs rather than forming its own: the first seed, once it was a member, looks for the
 * running cluster for 30 s, tensorfs.cluster.rejoin-timeout). Settings that make failure handling quick
 * for tests.
 */
final class LocalCluster implements AutoCloseable {
  /** Failure detection and downing in seconds rather than tens of seconds. */
  static final List<String> FAST_FAILOVER = List.of(
      "-Dpekko.cluster.split-brain-resolver.stable-after=3s",
      "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=5s",
      "-Dtensorfs.transport.idle-max-park=1ms",
      "-Dtensorfs.transport.idle-timeout=3s",
      "-Dtensorfs.transport.connect-timeout=2s",
      "-Dtensorfs.sharding.repair.settle=1s",
      "-Dtensorfs.sharding.repair.interval=5s",
      "-Dtensorfs.gateway.chunk-size=4MiB",
      "-Dtensorfs.cache.capacity=128MiB",
      "-Dtensorfs.transport.rdma.probe=off");

  /**
   * Where a node runs: the address it listens on and is reached at (cluster, HTTP, transport), the words
   * put before {@code java} (e.g. {@code ip netns exec NS}), and system properties of its own.
   */
  record Host(String address, List<String> launcher, List<String> properties) {
    static final Host LOOPBACK = new Host("127.0.0.1", List.of(), List.of());
  }

  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Host> hosts;
  private final String cassandra;
  private final String keyspace;
  private final Path dir;
  private final List<String> properties;
  private final int[] clusterPorts;

  LocalCluster(String name, int size, List<String> properties) {
    this(name, properties, java.util.Collections.nCopies(size, Host.LOOPBACK), SharedCassandra.get().contactPoint());
  }

  /** One node per host; {@code cassandra} is the {@code host:port} every node reaches Cassandra at. */
  LocalCluster(String name, List<String> properties, List<Host> hosts, String cassandra) {
    int size = hosts.size();
    this.hosts = List.copyOf(hosts);
    this.cassandra = cassandra;
    this.keyspace = "it_" + name;
    this.dir = RepoPaths.scratch(name);
    SharedCassandra.deleteTree(dir);
    this.properties = List.copyOf(properties);
    this.clusterPorts = new int[size];
    for (int i = 0; i < size; i++) clusterPorts[i] = NodeProcess.freePort();
    for (int i = 0; i < size; i++) nodes.add(process(i));
  }

  private NodeProcess process(int i) {
    List<String> args = new ArrayList<>();
    for (int j = 0; j < clusterPorts.length; j++) {
      args.addAll(List.of("--seed", hosts.get(j).address() + ":" + clusterPorts[j]));
    }
    Host host = hosts.get(i);
    args.addAll(List.of("--http-host", host.address()));
    List<String> props = new ArrayList<>(properties);
    props.add("-Dpekko.remote.artery.canonical.hostname=" + host.address());
    props.add("-Dtensorfs.transport.bind-host=" + host.address());
    props.addAll(host.properties());
    String id = "node-" + (i + 1);
    return new NodeProcess(id, dir.resolve(id), cassandra, keyspace, props, clusterPorts[i], args, host.launcher());
  }

  /** Starts every node at once and waits until all are healthy. */
  LocalCluster start() throws Exception {
    NodeProcess.startAll(nodes, Duration.ofMinutes(4));
    return this;
  }

  NodeProcess node(int number) {
    return nodes.get(number - 1);
  }

  /** A client of node {@code number} that sends the cluster's admin token unless a request sets its own. */
  TfsHttp http(int number) {
    return new TfsHttp(node(number));
  }

  /** A client of node {@code number} that sends no token: each request carries only what it sets itself. */
  TfsHttp httpWithoutToken(int number) {
    return new TfsHttp(node(number).baseUri());
  }

  /** Starts node {@code number} again on its data and cluster port (a new process). */
  NodeProcess restart(int number) throws Exception {
    NodeProcess fresh = process(number - 1);
    nodes.set(number - 1, fresh);
    return fresh.start(Duration.ofMinutes(4));
  }

  /** The (node) of each CLEAN replica of each chunk, as {@code GET /v1/stat} lists them. */
  static List<Set<String>> cleanNodes(JsonNode stat) {
    List<Set<String>> out = new ArrayList<>();
    for (JsonNode chunk : stat.get("chunks")) {
      Set<String> clean = new HashSet<>();
      for (JsonNode r : chunk.get("replicas")) {
        if (r.get("state").asText().equals("CLEAN")) clean.add(r.get("node").asText());
      }
      out.add(clean);
    }
    return out;
  }

  /** Polls {@code GET /v1/stat/path} on node {@code via} until {@code test} holds; returns the last stat. */
  JsonNode awaitStat(int via, String path, Predicate<JsonNode> test, Duration deadline) throws Exception {
    long until = System.nanoTime() + deadline.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < until) {
      try {
        var r = http(via).get("/v1/stat" + path);
        if (r.statusCode() == 200) {
          last = TfsHttp.json(r);
          if (test.test(last)) return last;
        }
      } catch (java.io.IOException notNow) {
        // the node is busy or restarting
      }
      TimeUnit.MILLISECONDS.sleep(500); // polling other processes' state
    }
    throw new AssertionError("stat of " + path + " never matched within " + deadline + "; last: " + last);
  }

  @Override
  public void close() throws Exception {
    for (NodeProcess n : nodes) n.close();
  }
}
