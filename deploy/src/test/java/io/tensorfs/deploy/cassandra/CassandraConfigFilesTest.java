package io.tensorfs.deploy.cassandra;

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
  void shouldWriteTheSystemLogUnderLogsWhenWritingLogback() {
    String logback = CassandraConfigFiles.logback(layout);

    assertTrue(logback.contains("<file>/srv/tfs/cassandra/logs/system.log</file>"), logback);
  }
}
