package io.tensorfs.sharding;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The configuration of a clustered actor system for tests: Artery on a free loopback port, messages
 * serialized as between nodes, several systems allowed in one JVM.
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
            """.formatted(nodeId))
        .withFallback(ConfigFactory.load());
  }
}
