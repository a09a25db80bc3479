package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ShardingSettingsTest {
  private final Config reference = ConfigFactory.load();

  @Test
  void shouldReadDefaultsWhenNothingIsConfigured() {
    ShardingSettings settings = ShardingSettings.from(reference);

    assertEquals(Duration.ofSeconds(10), settings.askTimeout());
    assertEquals("node-1", settings.nodeId());
  }

  @Test
  void shouldReadNodeIdWhenConfigured() {
    Config config = ConfigFactory.parseString("tensorfs.node.id = n7, tensorfs.sharding.ask-timeout = 2s")
        .withFallback(reference);

    assertEquals(new ShardingSettings(Duration.ofSeconds(2), "n7"), ShardingSettings.from(config));
  }

  @Test
  void shouldRejectNonPositiveTimeoutWhenConfigured() {
    Config config = ConfigFactory.parseString("tensorfs.sharding.ask-timeout = 0s").withFallback(reference);

    assertThrows(IllegalArgumentException.class, () -> ShardingSettings.from(config));
  }

  @Test
  void shouldJournalToCassandraByDefault() {
    assertEquals("pekko.persistence.cassandra.journal", reference.getString("pekko.persistence.journal.plugin"));
    assertEquals("pekko.persistence.cassandra.snapshot", reference.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("tensorfs_journal", reference.getString("pekko.persistence.cassandra.journal.keyspace"));
    assertEquals("tensorfs_snapshot", reference.getString("pekko.persistence.cassandra.snapshot.keyspace"));
    assertTrue(reference.getBoolean("pekko.persistence.cassandra.journal.keyspace-autocreate"));
    assertTrue(reference.getBoolean("pekko.persistence.cassandra.snapshot.tables-autocreate"));
    assertEquals("datacenter1",
        reference.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertTrue(reference.getBoolean("datastax-java-driver.advanced.reconnect-on-init"));
  }
}
