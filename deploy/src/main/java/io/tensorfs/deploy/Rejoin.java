package io.tensorfs.deploy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How a node that has been a member of its cluster before joins it again. Pekko's first seed waits
 * {@code pekko.cluster.seed-node-timeout} (5 s) for the other seeds and then founds a cluster of its own
 * unless every one of them answered that it is not a member. A first seed restarted while the others run
 * must reach one of them within that time: on a loaded machine a restarted node took longer to open its
 * connections, founded a second cluster over the same metadata, and was shut down by the first one (or
 * kept running alone). So a first seed whose data directory shows it was a member waits
 * {@code tensorfs.cluster.rejoin-timeout} instead; a node's first start, and the other seeds (which retry
 * every seed-node-timeout and never found a cluster), keep Pekko's timing.
 *
 * <p>The mark is a file in the data directory, written once the node is Up in a cluster.
 */
final class Rejoin {
  /** The file that says this node has been Up in a cluster. */
  static final String MARK = "cluster.member";

  private Rejoin() {}

  /** {@code config} with the first seed's wait lengthened when this node rejoins as the first seed. */
  static Config adjust(Config config) {
    if (!rejoinsAsFirstSeed(config)) return config;
    Duration wait = config.getDuration("tensorfs.cluster.rejoin-timeout");
    return config.withValue("pekko.cluster.seed-node-timeout", ConfigValueFactory.fromAnyRef(wait.toMillis() + "ms"));
  }

  /**
   * Whether this node is the first of several seeds (by its canonical address) and its data directory
   * holds the mark of an earlier membership.
   */
  static boolean rejoinsAsFirstSeed(Config config) {
    List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
    if (seeds.size() < 2) return false;
    String self = "pekko://" + Node.SYSTEM_NAME + "@"
        + config.getString("pekko.remote.artery.canonical.hostname") + ":"
        + config.getInt("pekko.remote.artery.canonical.port");
    return seeds.get(0).equals(self) && Files.exists(mark(config));
  }

  /** Writes the mark (atomically: a crash leaves the old one or the new one). */
  static void remember(Config config) throws IOException {
    Path mark = mark(config);
    Path tmp = mark.resolveSibling(MARK + ".tmp");
    Files.createDirectories(mark.getParent());
    Files.writeString(tmp, "Up in a cluster at " + Instant.now() + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, mark, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static Path mark(Config config) {
    return Path.of(config.getString("tensorfs.node.data-dir")).resolve(MARK);
  }
}
