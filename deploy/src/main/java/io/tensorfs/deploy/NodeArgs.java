package io.tensorfs.deploy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's command line, turned into configuration overrides:
 * {@code --node-id node-1 --data DIR [--store DIR]... --http-host H --http-port P --grpc-port P --cluster-port P
 * [--seed host:port]... --cassandra host:port[,host:port...] [--metadata-replicas N] [--admin-token-file F]
 * [--cluster-secret-file F]}.
 *
 * <p>The two files default to {@code DIR/admin.token} and {@code DIR/cluster.secret}; nodes of one cluster
 * are given the same files (the launcher's {@code data/admin.token} and {@code data/cluster.secret}).
 */
record NodeArgs(Map<String, Object> overrides) {
  /** The file holding the cluster's first admin token (created, owner-only, when absent). */
  static final String ADMIN_TOKEN_FILE = "tensorfs.auth.admin-token-file";
  /** The file holding the secret every node of the cluster shares (created, owner-only, when absent). */
  static final String CLUSTER_SECRET_FILE = "tensorfs.cluster.secret-file";

  static NodeArgs parse(String[] args) {
    Map<String, Object> o = new HashMap<>();
    List<String> stores = new ArrayList<>();
    List<String> seeds = new ArrayList<>();
    Path data = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + flag);
      String value = args[++i];
      switch (flag) {
        case "--node-id" -> o.put("tensorfs.node.id", value);
        case "--data" -> data = Path.of(value).toAbsolutePath();
        case "--store" -> stores.add(Path.of(value).toAbsolutePath().toString());
        case "--http-host" -> o.put("tensorfs.gateway.http.host", value);
        case "--http-port" -> o.put("tensorfs.gateway.http.port", Integer.parseInt(value));
        case "--grpc-port" -> o.put("tensorfs.gateway.grpc.port", Integer.parseInt(value));
        case "--s3-port" -> o.put("tensorfs.s3.port", Integer.parseInt(value));
        case "--cluster-port" -> o.put("pekko.remote.artery.canonical.port", Integer.parseInt(value));
        case "--seed" -> seeds.add("pekko://" + Node.SYSTEM_NAME + "@" + value);
        case "--cassandra" -> o.put("datastax-java-driver.basic.contact-points", contactPoints(value));
        case "--metadata-replicas" -> o.put("tensorfs.metadata.replicas", Integer.parseInt(value));
        case "--admin-token-file" -> o.put(ADMIN_TOKEN_FILE, Path.of(value).toAbsolutePath().toString());
        case "--cluster-secret-file" -> o.put(CLUSTER_SECRET_FILE, Path.of(value).toAbsolutePath().toString());
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    if (data == null) throw new IllegalArgumentException("--data DIR is required");
    o.put("tensorfs.node.data-dir", data.toString());
    o.putIfAbsent(ADMIN_TOKEN_FILE, data.resolve("admin.token").toString());
    o.putIfAbsent(CLUSTER_SECRET_FILE, data.resolve("cluster.secret").toString());
    if (stores.isEmpty()) stores.add(data.resolve("store0").toString());
    o.put("tensorfs.store.directories", stores);
    if (!seeds.isEmpty()) o.put("pekko.cluster.seed-nodes", seeds);
    return new NodeArgs(o);
  }

  /** {@code host:port} or a comma-separated list of them (the members of a Cassandra ring). */
  private static List<String> contactPoints(String value) {
    List<String> points = new ArrayList<>();
    for (String p : value.split(",")) {
      if (!p.isBlank()) points.add(p.trim());
    }
    if (points.isEmpty()) throw new IllegalArgumentException("--cassandra wants host:port[,host:port...]");
    return points;
  }

  Config config() {
    Config overrides = ConfigFactory.empty();
    for (var e : overrides().entrySet()) {
      overrides = overrides.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return overrides.withFallback(ConfigFactory.load()).resolve();
  }
}
