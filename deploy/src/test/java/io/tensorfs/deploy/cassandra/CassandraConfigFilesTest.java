package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CassandraConfigFilesTest {

  private final CassandraLayout layout = CassandraLayout.under(Path.of("/srv/tfs"));

  @Test
  void shouldNameItselfAsSeedWhenTheStoragePortIsNotTheDefault() {
    String yaml = CassandraConfigFiles.yaml(layout, new CassandraPorts(9142, 41000, 41001));

    // A seed list without the port means 7000: the node would not see itself as a seed and try to bootstrap.
    assertTrue(yaml.contains("- seeds: \"127.0.0.1:41000\""), yaml);
    assertTrue(yaml.contains("storage_port: 41000"), yaml);
    assertTrue(yaml.contains("ssl_storage_port: 41001"), yaml);
    assertTrue(yaml.contains("native_transport_port: 9142"), yaml);
  }

  @Test
  void shouldKeepEveryCassandraDirectoryUnderTheDataDirectoryWhenWritingTheYaml() {
    String yaml = CassandraConfigFiles.yaml(layout, new CassandraPorts(9042, 7000, 7001));

    assertTrue(yaml.contains("  - /srv/tfs/cassandra/data\n"), yaml);
    assertTrue(yaml.contains("commitlog_directory: /srv/tfs/cassandra/commitlog\n"), yaml);
    assertTrue(yaml.contains("saved_caches_directory: /srv/tfs/cassandra/saved_caches\n"), yaml);
    assertTrue(yaml.contains("hints_directory: /srv/tfs/cassandra/hints\n"), yaml);
    assertTrue(yaml.contains("cdc_raw_directory: /srv/tfs/cassandra/cdc_raw\n"), yaml);
  }

  @Test
  void shouldSyncTheCommitLogBeforeAnsweringWhenNothingElseIsAsked() {
    String yaml = CassandraConfigFiles.yaml(layout, new CassandraPorts(9042, 7000, 7001));

    assertTrue(yaml.contains("\ncommitlog_sync: batch\ncommitlog_segment_size: 32MiB\n"), yaml);
    assertFalse(yaml.contains("periodic"), yaml);
  }

  @Test
  void shouldWriteTheGroupWindowWhenGroupModeIsAsked() {
    String yaml = CassandraConfigFiles.yaml(layout, new CassandraPorts(9042, 7000, 7001),
        CommitlogSync.parse("group:15ms"), 0);

    assertTrue(yaml.contains("\ncommitlog_sync: group\ncommitlog_sync_group_window: 15ms\n"), yaml);
  }

  @Test
  void shouldJoinThroughTheSeedWhenAMemberOfARing() {
    CassandraLayout second = CassandraLayout.under(Path.of("/srv/tfs"), 2);
    String yaml = CassandraConfigFiles.yaml(second, new CassandraPorts(9043, 41010, 41011), CommitlogSync.BATCH,
        41000);

    assertTrue(yaml.contains("- seeds: \"127.0.0.1:41000\""), yaml);
    assertTrue(yaml.contains("storage_port: 41010"), yaml);
    assertTrue(yaml.contains("commitlog_directory: /srv/tfs/cassandra-2/commitlog\n"), yaml);
  }

  @Test
  void shouldWriteTheSystemLogUnderLogsWhenWritingLogback() {
    String logback = CassandraConfigFiles.logback(layout);

    assertTrue(logback.contains("<file>/srv/tfs/cassandra/logs/system.log</file>"), logback);
  }
}
