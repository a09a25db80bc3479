package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the {@code cassandra.yaml} and {@code logback.xml} of a Cassandra 5.0 node bound to 127.0.0.1: a lone
 * node, or one member of a ring on this machine (members differ by port; the seed is member 1).
 *
 * <p>The node is sized for a development machine that also runs tensorfs: few request threads, small caches
 * and memtables, so a 512 MiB heap is plenty for the metadata journal.
 */
final class CassandraConfigFiles {

  static final String CLUSTER_NAME = "tensorfs";
  static final String DATACENTER = "datacenter1";

  private CassandraConfigFiles() {
  }

  static void write(CassandraLayout layout, CassandraPorts ports, CommitlogSync sync, int seedStoragePort) {
    writeAtomically(layout.yamlFile(), yaml(layout, ports, sync, seedStoragePort));
    writeAtomically(layout.logbackFile(), logback(layout));
  }

  /** A lone node: its own seed, its commit log synced before each answer. */
  static String yaml(CassandraLayout layout, CassandraPorts ports) {
    return yaml(layout, ports, CommitlogSync.BATCH, 0);
  }

  /**
   * @param seedStoragePort the internode port of the ring's seed; 0 names this node itself (a lone node or
   *                        the seed), which must then not bootstrap
   */
  static String yaml(CassandraLayout layout, CassandraPorts ports, CommitlogSync sync, int seedStoragePort) {
    int seed = seedStoragePort > 0 ? seedStoragePort : ports.storagePort();
    return """
        # Written by tensorfs at every start; edits are overwritten.
        cluster_name: '%s'
        num_tokens: 16
        partitioner: org.apache.cassandra.dht.Murmur3Partitioner
        endpoint_snitch: SimpleSnitch
        seed_provider:
          - class_name: org.apache.cassandra.locator.SimpleSeedProvider
            parameters:
              - seeds: "127.0.0.1:%d"
        listen_address: 127.0.0.1
        rpc_address: 127.0.0.1
        storage_port: %d
        ssl_storage_port: %d
        native_transport_port: %d
        start_native_transport: true

        data_file_directories:
          - %s
        commitlog_directory: %s
        saved_caches_directory: %s
        hints_directory: %s
        cdc_raw_directory: %s

        authenticator: AllowAllAuthenticator
        authorizer: AllowAllAuthorizer
        role_manager: CassandraRoleManager

        # When a write is answered relative to its commit log fsync (tensorfs.metadata.commitlog-sync).
        %s
        commitlog_segment_size: 32MiB
        commitlog_total_space: 512MiB

        concurrent_reads: 4
        concurrent_writes: 8
        concurrent_counter_writes: 2
        concurrent_materialized_view_writes: 2
        concurrent_compactors: 1
        native_transport_max_threads: 32
        memtable_heap_space: 64MiB
        memtable_offheap_space: 64MiB
        key_cache_size: 16MiB
        row_cache_size: 0MiB
        counter_cache_size: 0MiB
        file_cache_size: 64MiB
        networking_cache_size: 16MiB
        prepared_statements_cache_size: 8MiB
        index_summary_capacity: 8MiB

        # Hints for a ring member that was down reach the disk, and from there the member, within seconds.
        hints_flush_period: 2000ms

        dynamic_snitch: false
        auto_snapshot: false
        """.formatted(CLUSTER_NAME, seed, ports.storagePort(), ports.sslStoragePort(),
        ports.cqlPort(), layout.dataDir(), layout.commitlogDir(), layout.savedCachesDir(),
        layout.hintsDir(), layout.cdcRawDir(), sync.yaml());
  }

  static String logback(CassandraLayout layout) {
    String logFile = layout.systemLog().toString();
    return """
        <configuration scan="false">
          <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
            <file>%s</file>
            <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
              <fileNamePattern>%s.%%i.zip</fileNamePattern>
              <minIndex>1</minIndex>
              <maxIndex>3</maxIndex>
            </rollingPolicy>
            <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
              <maxFileSize>20MB</maxFileSize>
            </triggeringPolicy>
            <encoder>
              <pattern>%%-5level [%%thread] %%date{ISO8601} %%F:%%L - %%msg%%n</pattern>
            </encoder>
          </appender>
          <logger name="org.apache.cassandra" level="INFO"/>
          <root level="INFO">
            <appender-ref ref="FILE"/>
          </root>
        </configuration>
        """.formatted(logFile, logFile);
  }

  private static void writeAtomically(Path file, String text) {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(temp, text, StandardCharsets.UTF_8);
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
