package io.tensorfs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeArgsTest {
  @Test
  void shouldJournalToCassandraWhenConfiguredByDefault() {
    Config c = NodeArgs.parse(new String[] {"--data", "/tmp/tfs-a"}).config();
    assertEquals("pekko.persistence.cassandra.journal", c.getString("pekko.persistence.journal.plugin"));
    assertEquals("pekko.persistence.cassandra.snapshot", c.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("tensorfs_journal", c.getString("pekko.persistence.cassandra.journal.keyspace"));
    assertEquals("tensorfs_snapshot", c.getString("pekko.persistence.cassandra.snapshot.keyspace"));
    // The node creates keyspaces and tables itself, retrying (MetadataSchema), not the plugin once.
    assertTrue(MetadataSchema.inCassandra(c));
    assertFalse(c.getBoolean("pekko.persistence.cassandra.journal.keyspace-autocreate"));
    assertFalse(c.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"));
    assertFalse(c.getBoolean("pekko.persistence.cassandra.snapshot.keyspace-autocreate"));
    assertFalse(c.getBoolean("pekko.persistence.cassandra.snapshot.tables-autocreate"));
    assertEquals("datacenter1", c.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertEquals("on", c.getString("pekko.http.server.raw-request-uri-header"));
    assertEquals("infinite", c.getString("pekko.http.server.parsing.max-content-length"));
  }

  @Test
  void shouldOverrideNodeSettingsWhenFlagsAreGiven() {
    Config c = NodeArgs.parse(new String[] {"--node-id", "node-3", "--data", "/tmp/tfs-b", "--http-port", "8082",
        "--store", "/tmp/tfs-b/s0", "--store", "/tmp/tfs-b/s1", "--cassandra", "10.0.0.5:9042",
        "--seed", "127.0.0.1:25520"}).config();
    assertEquals("node-3", c.getString("tensorfs.node.id"));
    assertEquals(8082, c.getInt("tensorfs.gateway.http.port"));
    assertEquals(List.of("/tmp/tfs-b/s0", "/tmp/tfs-b/s1"), c.getStringList("tensorfs.store.directories"));
    assertEquals(List.of("10.0.0.5:9042"), c.getStringList("datastax-java-driver.basic.contact-points"));
    assertEquals(List.of("pekko://tensorfs@127.0.0.1:25520"), c.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void shouldPutOneStoreUnderTheDataDirectoryWhenNoStoreIsGiven() {
    Config c = NodeArgs.parse(new String[] {"--data", "/tmp/tfs-c"}).config();
    assertEquals(List.of(Path.of("/tmp/tfs-c/store0").toString()), c.getStringList("tensorfs.store.directories"));
  }

  @Test
  void shouldRefuseWhenAFlagIsUnknownOrDataIsMissing() {
    assertThrows(IllegalArgumentException.class, () -> NodeArgs.parse(new String[] {"--data", "/x", "--bogus", "1"}));
    assertThrows(IllegalArgumentException.class, () -> NodeArgs.parse(new String[] {"--node-id", "n"}));
    assertThrows(IllegalArgumentException.class, () -> NodeArgs.parse(new String[] {"--data"}));
  }
}
