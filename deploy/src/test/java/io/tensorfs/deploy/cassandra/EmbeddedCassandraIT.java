package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts a real Cassandra 5.0 from the cassandra-dist jars; needs {@code deploy/cassandra-dist} packaged. */
class EmbeddedCassandraIT {

  @TempDir
  Path dataDir;

  private EmbeddedCassandra cassandra;

  @AfterEach
  void stopCassandra() {
    if (cassandra != null) {
      cassandra.stop();
    }
  }

  @Test
  void shouldKeepRowsWhenRestartedOnTheSameDirectory() throws IOException {
    cassandra = new EmbeddedCassandra(CassandraSettings.defaults(dataDir));

    CassandraInstance first = cassandra.start();
    assertEquals(Long.toString(first.pid()), readTrimmed(cassandra.layout().pidFile()));
    assertEquals(Integer.toString(first.cqlPort()), readTrimmed(cassandra.layout().portFile()));
    assertTrue(Files.isRegularFile(cassandra.layout().yamlFile()));
    try (CqlSession session = CqlProbe.openSession(first.cqlAddress())) {
      session.execute("CREATE KEYSPACE tfs_it WITH replication = {'class': 'SimpleStrategy', "
          + "'replication_factor': 1}");
      session.execute("CREATE TABLE tfs_it.files (path text PRIMARY KEY, size bigint)");
      session.execute("INSERT INTO tfs_it.files (path, size) VALUES ('/t/a.bin', 4096)");
    }
    assertEquals(CassandraState.UP, cassandra.state());
    assertEquals(first, cassandra.start(), "a second start adopts the running JVM");

    assertTrue(cassandra.stop());
    assertFalse(ProcessHandle.of(first.pid()).map(ProcessHandle::isAlive).orElse(false));
    assertEquals(CassandraState.DOWN, cassandra.state());
    assertFalse(cassandra.stop(), "stopping twice finds nothing to stop");

    CassandraInstance second = cassandra.start();
    assertNotEquals(first.pid(), second.pid());
    try (CqlSession session = CqlProbe.openSession(second.cqlAddress())) {
      Row row = session.execute("SELECT size FROM tfs_it.files WHERE path = '/t/a.bin'").one();
      assertNotNull(row, "the row written before the restart");
      assertEquals(4096L, row.getLong("size"));
    }
  }

  @Test
  void shouldFailWithTheLogTailWhenTheJvmExitsDuringStart() {
    cassandra = new EmbeddedCassandra(CassandraSettings.defaults(dataDir).withHeap("1k"));

    CassandraLaunchException failure = assertThrows(CassandraLaunchException.class, cassandra::start);

    assertTrue(failure.getMessage().contains("exited during start-up"), failure.getMessage());
    assertTrue(failure.getMessage().contains("heap"), "the JVM's own complaint: " + failure.getMessage());
    assertEquals(CassandraState.DOWN, cassandra.state());
    assertEquals(Optional.empty(), cassandra.recordedPid());
  }

  private static String readTrimmed(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8).trim();
  }
}
