package io.tensorfs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetadataSettingsTest {

  private static Config withArgs(String... args) {
    return NodeArgs.parse(args).config();
  }

  @Test
  void shouldReplicateOnceAndAskOneReplicaWhenOneCassandraNodeIsTheDefault() {
    Config c = withArgs("--data", "/tmp/tfs-m1");
    MetadataSettings s = MetadataSettings.fromConfig(c);
    assertEquals(new MetadataSettings(1, DefaultConsistencyLevel.LOCAL_ONE, DefaultConsistencyLevel.LOCAL_ONE,
        Duration.ofSeconds(10), Duration.ofMillis(100)), s);

    Config applied = s.applyTo(c);
    assertEquals(1, applied.getInt("pekko.persistence.cassandra.journal.replication-factor"));
    assertEquals("LOCAL_ONE", consistency(applied, MetadataSettings.READ_PROFILE));
    assertEquals("LOCAL_ONE", consistency(applied, MetadataSettings.WRITE_PROFILE));
  }

  @Test
  void shouldReplicateThriceAndUseQuorumEverywhereWhenThreeReplicasAreAsked() {
    Config c = withArgs("--data", "/tmp/tfs-m3", "--metadata-replicas", "3",
        "--cassandra", "127.0.0.1:9042,127.0.0.1:9043,127.0.0.1:9044");
    Config applied = MetadataSettings.fromConfig(c).applyTo(c);

    for (String store : new String[] {"journal", "snapshot"}) {
      assertEquals(3, applied.getInt("pekko.persistence.cassandra." + store + ".replication-factor"));
    }
    // The journal's profiles are the plugin's top-level ones; snapshots and queries name their own.
    for (String at : new String[] {"pekko.persistence.cassandra", "pekko.persistence.cassandra.snapshot"}) {
      assertEquals(MetadataSettings.READ_PROFILE, applied.getString(at + ".read-profile"));
      assertEquals(MetadataSettings.WRITE_PROFILE, applied.getString(at + ".write-profile"));
    }
    assertEquals(MetadataSettings.READ_PROFILE, applied.getString("pekko.persistence.cassandra.query.read-profile"));
    assertEquals("QUORUM", consistency(applied, MetadataSettings.READ_PROFILE));
    assertEquals("QUORUM", consistency(applied, MetadataSettings.WRITE_PROFILE));
    assertEquals("QUORUM", applied.getString("datastax-java-driver.basic.request.consistency"));
    assertEquals(Duration.ofSeconds(10), applied.getDuration(
        "datastax-java-driver.profiles." + MetadataSettings.READ_PROFILE + ".basic.request.timeout"));
    assertEquals(java.util.List.of("127.0.0.1:9042", "127.0.0.1:9043", "127.0.0.1:9044"),
        applied.getStringList("datastax-java-driver.basic.contact-points"));
  }

  @Test
  void shouldTakeAnExplicitLevelWhenOneIsNamed() {
    Config c = ConfigFactory.parseString("tensorfs.metadata.read-consistency = one, tensorfs.metadata.replicas = 3")
        .withFallback(withArgs("--data", "/tmp/tfs-m4"));
    MetadataSettings s = MetadataSettings.fromConfig(c);
    assertEquals(DefaultConsistencyLevel.ONE, s.readConsistency());
    assertEquals(DefaultConsistencyLevel.QUORUM, s.writeConsistency());
  }

  @Test
  void shouldRejectWhenTheSettingsMakeNoSense() {
    Config base = withArgs("--data", "/tmp/tfs-m5");
    assertThrows(IllegalArgumentException.class, () -> MetadataSettings.fromConfig(
        ConfigFactory.parseString("tensorfs.metadata.replicas = 0").withFallback(base)));
    assertThrows(IllegalArgumentException.class, () -> MetadataSettings.fromConfig(
        ConfigFactory.parseString("tensorfs.metadata.write-consistency = most").withFallback(base)));
    assertThrows(IllegalArgumentException.class, () -> MetadataSettings.fromConfig(
        ConfigFactory.parseString("tensorfs.metadata.write-consistency = SERIAL").withFallback(base)));
  }

  private static String consistency(Config c, String profile) {
    return c.getString("datastax-java-driver.profiles." + profile + ".basic.request.consistency");
  }
}
