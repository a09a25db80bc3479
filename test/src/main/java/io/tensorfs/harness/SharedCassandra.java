package io.tensorfs.harness;

import io.tensorfs.deploy.cassandra.CassandraInstance;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One real Cassandra for the whole test JVM, started on first use in a fresh directory and stopped
 * when the JVM exits. Each test uses its own keyspaces, so tests do not see each other's metadata.
 */
public final class SharedCassandra {
  private static CassandraInstance instance;
  private static EmbeddedCassandra embedded;

  private SharedCassandra() {}

  public static synchronized CassandraInstance get() {
    if (instance == null) {
      Path dir = RepoPaths.scratch("cassandra");
      deleteTree(dir);
      EmbeddedCassandra cassandra = new EmbeddedCassandra(
          CassandraSettings.defaults(dir).withLibDir(RepoPaths.cassandraLib()).withHeap("512m"));
      instance = cassandra.start();
      embedded = cassandra;
      Runtime.getRuntime().addShutdownHook(new Thread(cassandra::stop, "stop-cassandra"));
    }
    return instance;
  }

  /**
   * The launcher of the shared Cassandra (started first if need be), for a test that kills it and
   * starts it again on the same data and address.
   */
  public static synchronized EmbeddedCassandra embedded() {
    get();
    return embedded;
  }

  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
