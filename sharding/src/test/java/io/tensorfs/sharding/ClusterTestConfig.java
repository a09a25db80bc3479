package io.tensorfs.sharding;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The configuration of a clustered actor system for tests: Artery on a free loopback port, messages
 * serialized as between nodes, several systems allowed in one JVM. A shard region stopping with messages
 * for shards it never hosted (an operator's background tells sent as the test ends) waits for homes the
 * stopping coordinator will not give, for the whole of its shutdown phase (10 s by default, the test kit's
 * whole allowance for a shutdown): here that phase is given 3 s.
 */
public final class ClusterTestConfig {
  private ClusterTestConfig() {}

  /** A cluster member named {@code nodeId}, over the defaults of the class path. */
  public static Config of(String nodeId) {
    return ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.actor.serialize-messages = on
            pekko.actor.warn-about-java-serializer-usage = off
            tensorfs.node.id = %s
            tensorfs.sharding.directories.store = memory
            pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 3s
            """.formatted(nodeId))
        .withFallback(ConfigFactory.load());
  }
}
