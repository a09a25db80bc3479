package io.tensorfs.faults;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Node processes on this machine joined into one Pekko cluster for a fault trial: every node is given
 * every node's cluster port as a seed, so a node killed and started again joins the cluster that runs.
 * Nodes are numbered from 1. Not thread-safe: the trial's driving thread starts, kills and restarts
 * nodes; other threads only read {@link #baseUri} and {@link #alive}.
 */
public final class FaultCluster implements AutoCloseable {
  /** Failure detection, downing and repair in seconds rather than tens of seconds; TCP chunk transport. */
  public static final List<String> FAST_FAILOVER = List.of(
      "-Dpekko.cluster.split-brain-resolver.stable-after=3s",
      "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=5s",
      // TCP: with Aeron, a node killed with SIGKILL would take a host's shared media driver with it.
      "-Dtensorfs.transport.kind=tcp",
      "-Dtensorfs.transport.idle-max-park=1ms",
      "-Dtensorfs.transport.idle-timeout=3s",
      "-Dtensorfs.transport.connect-timeout=2s",
      "-Dtensorfs.sharding.repair.settle=1s",
      "-Dtensorfs.sharding.repair.interval=5s",
      // The smallest chunk allowed, so that multi-chunk files stay a few MiB.
      "-Dtensorfs.gateway.chunk-size=4MiB",
      "-Dtensorfs.cache.capacity=128MiB",
      "-Dtensorfs.transport.rdma.probe=off",
      // A machine running four nodes and Cassandra on two cores is slow to start them: not a fault.
      "-Dpekko.remote.artery.bind.bind-timeout=60s",
      "-Dpekko.logger-startup-timeout=60s");

  private final Path dir;
  private final String cassandra;
  private final String keyspace;
  private final List<String> properties;
  private final List<List<String>> nodeArgs;
  private final int[] clusterPorts;
  private final NodeProcess[] nodes;

  /**
   * @param dir        each node's data directory goes under it ({@code node-1}, ...)
   * @param cassandra  {@code host:port} of the metadata store
   * @param keyspace   prefix of the journal and snapshot keyspaces, unique per trial
   * @param nodeArgs   more command-line options per node (e.g. {@code --store DIR}); its size is the node count
   */
  public FaultCluster(Path dir, String cassandra, String keyspace, List<String> properties, List<List<String>> nodeArgs) {
    this.dir = dir;
    this.cassandra = cassandra;
    this.keyspace = keyspace;
    this.properties = List.copyOf(properties);
    this.nodeArgs = List.copyOf(nodeArgs);
    this.clusterPorts = new int[nodeArgs.size()];
    for (int i = 0; i < clusterPorts.length; i++) clusterPorts[i] = NodeProcess.freePort();
    this.nodes = new NodeProcess[clusterPorts.length];
    for (int i = 0; i < nodes.length; i++) nodes[i] = process(i);
  }

  /** {@code size} nodes with no options of their own. */
  public static FaultCluster of(int size, Path dir, String cassandra, String keyspace, List<String> properties) {
    List<List<String>> args = new ArrayList<>();
    for (int i = 0; i < size; i++) args.add(List.of());
    return new FaultCluster(dir, cassandra, keyspace, properties, args);
  }

  private NodeProcess process(int i) {
    List<String> args = new ArrayList<>();
    for (int port : clusterPorts) args.addAll(List.of("--seed", "127.0.0.1:" + port));
    args.addAll(nodeArgs.get(i));
    String id = "node-" + (i + 1);
    return new NodeProcess(id, dir.resolve(id), cassandra, keyspace, properties, clusterPorts[i], args, List.of());
  }

  public int size() {
    return nodes.length;
  }

  /** Starts every node at once and waits until all are healthy. */
  public FaultCluster start(Duration deadline) throws Exception {
    NodeProcess.startAll(List.of(nodes), deadline);
    return this;
  }

  public synchronized URI baseUri(int number) {
    return nodes[number - 1].baseUri();
  }

  public synchronized boolean alive(int number) {
    return nodes[number - 1].alive();
  }

  /** The cluster's admin token, which its nodes write at first start (so: once {@link #start} returned). */
  public String adminToken() {
    return AdminToken.read(NodeProcess.adminTokenFile(dir.resolve("node-1")));
  }

  public synchronized NodeProcess node(int number) {
    return nodes[number - 1];
  }

  /** SIGKILL: no shutdown hook, no flush. */
  public void kill(int number) throws InterruptedException {
    node(number).kill();
  }

  /** Starts node {@code number} again on its data directory and cluster port, as a new process. */
  public void restart(int number, Duration deadline) throws Exception {
    NodeProcess fresh = process(number - 1);
    synchronized (this) {
      nodes[number - 1] = fresh;
    }
    fresh.start(deadline);
  }

  @Override
  public void close() throws InterruptedException {
    for (NodeProcess n : nodes) n.close();
  }
}
