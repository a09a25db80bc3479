package io.tensorfs.bench;

import io.tensorfs.harness.NetworkNamespaces;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.SharedCassandra;
import io.tensorfs.harness.TcpRelay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Node processes on one host, each in a network namespace of its own (its own address on one bridge, as
 * hosts on one subnet), joined into one cluster: every node is a seed of the others. With Aeron each node
 * runs its own media driver, so the nodes talk UDP. Metadata in memory (each node journals the entities it
 * hosts; shards stay put), or in a Cassandra on the host's loopback reached through a relay on the bridge.
 * Owned by the benchmark's thread; {@link #close()} stops the nodes and removes the namespaces.
 */
final class NetnsNodes implements AutoCloseable {
  private final NetworkNamespaces namespaces;
  private final TcpRelay relay;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Path> driverDirs = new ArrayList<>();

  private NetnsNodes(NetworkNamespaces namespaces, TcpRelay relay) {
    this.namespaces = namespaces;
    this.relay = relay;
  }

  /**
   * Makes {@code count} namespaces and starts a node in each, waiting until every node is healthy.
   *
   * @param transport  {@code aeron-udp} or {@code tcp}
   * @param cassandra  the host's Cassandra (CQL on loopback), or null for metadata in memory
   * @param properties more system properties for every node (last wins)
   * @param linkMtuBytes the namespaces' links' MTU; 0: the default (1500)
   */
  static NetnsNodes start(int count, Path dir, String transport, InetSocketAddress cassandra, List<String> properties,
      int linkMtuBytes) throws Exception {
    NetworkNamespaces namespaces = NetworkNamespaces.create(count, linkMtuBytes);
    NetnsNodes out = null;
    try {
      TcpRelay relay = cassandra == null ? null : TcpRelay.start(namespaces.hostAddress(), cassandra);
      out = new NetnsNodes(namespaces, relay);
      out.launch(count, dir, transport, properties);
      NodeProcess.startAll(out.nodes, Duration.ofMinutes(8));
      return out;
    } catch (Exception | Error e) {
      if (out != null) out.close();
      else namespaces.close();
      throw e;
    }
  }

  private void launch(int count, Path dir, String transport, List<String> properties) {
    int[] ports = new int[count];
    for (int i = 0; i < count; i++) ports[i] = NodeProcess.freePort();
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < count; i++) seeds.addAll(List.of("--seed", namespaces.address(i) + ":" + ports[i]));
    for (int i = 0; i < count; i++) {
      String id = "node-" + (i + 1);
      String address = namespaces.address(i);
      List<String> props = new ArrayList<>(transportProperties(transport, i));
      props.add("-Dpekko.remote.artery.canonical.hostname=" + address);
      props.add("-Dtensorfs.transport.bind-host=" + address);
      props.add("-Dtensorfs.transport.rdma.probe=off");
      if (relay == null) {
        props.addAll(List.of("-Dpekko.persistence.journal.plugin=pekko.persistence.journal.inmem",
            "-Dtensorfs.sharding.directories.store=memory",
            "-Dpekko.persistence.snapshot-store.plugin=pekko.persistence.snapshot-store.local",
            "-Dpekko.persistence.snapshot-store.local.dir=" + dir.resolve(id).resolve("snapshots"),
            // An entity's events live in the memory of the node that hosts it: shards must stay put.
            "-Dpekko.cluster.sharding.rebalance-interval=200d"));
      }
      props.addAll(properties);
      List<String> args = new ArrayList<>(seeds);
      args.addAll(List.of("--http-host", address));
      nodes.add(new NodeProcess(id, dir.resolve(id), relay == null ? null : relay.address(), "bench_scale", props,
          ports[i], args, namespaces.launcher(i)));
    }
  }

  private List<String> transportProperties(String transport, int i) {
    return switch (transport) {
      case "aeron-udp" -> {
        Path driverDir = Path.of("/dev/shm", "tensorfs-aeron-" + namespaces.name(i));
        driverDirs.add(driverDir);
        yield List.of("-Dtensorfs.transport.kind=aeron", "-Dtensorfs.transport.aeron.mode=udp",
            "-Dtensorfs.transport.aeron.embedded-driver=on", "-Dtensorfs.transport.aeron.dir=" + driverDir);
      }
      case "tcp" -> List.of("-Dtensorfs.transport.kind=tcp");
      default -> throw new IllegalArgumentException("--transport aeron-udp|tcp, not " + transport);
    };
  }

  int size() {
    return nodes.size();
  }

  /** Node {@code i}, 0-based. */
  NodeProcess node(int i) {
    return nodes.get(i);
  }

  /** Bytes all the namespaces have sent onto the bridge so far (transport and HTTP answers alike). */
  long bridgeBytes() throws IOException {
    long sum = 0;
    for (int i = 0; i < namespaces.size(); i++) sum += namespaces.sentBytes(i);
    return sum;
  }

  /** UDP datagrams the namespaces dropped so far because a socket's receive buffer was full. */
  long udpReceiveDrops() throws IOException, InterruptedException {
    long sum = 0;
    for (int i = 0; i < namespaces.size(); i++) sum += namespaces.snmp(i, "Udp", "RcvbufErrors");
    return sum;
  }

  @Override
  public void close() throws Exception {
    try {
      for (NodeProcess n : nodes) n.close();
    } finally {
      try {
        if (relay != null) relay.close();
      } finally {
        namespaces.close();
        for (Path d : driverDirs) SharedCassandra.deleteTree(d);
      }
    }
  }
}
