package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where one embedded Cassandra keeps its files: everything lives under {@code <dataDir>/cassandra}, or under
 * {@code <dataDir>/cassandra-<n>} for member n &gt; 1 of a ring on this machine.
 *
 * <p>Immutable; any thread.
 */
public record CassandraLayout(Path home) {

  /** The layout of the Cassandra that belongs to tensorfs data directory {@code dataDir}. */
  public static CassandraLayout under(Path dataDir) {
    return under(dataDir, 1);
  }

  /** The layout of ring member {@code member} (from 1) of tensorfs data directory {@code dataDir}. */
  public static CassandraLayout under(Path dataDir, int member) {
    return new CassandraLayout(dataDir.toAbsolutePath().normalize().resolve(homeName(member)));
  }

  /** {@code cassandra} for member 1, {@code cassandra-<n>} for the others. */
  static String homeName(int member) {
    return member == 1 ? "cassandra" : "cassandra-" + member;
  }

  public Path confDir() {
    return home.resolve("conf");
  }

  public Path yamlFile() {
    return confDir().resolve("cassandra.yaml");
  }

  public Path logbackFile() {
    return confDir().resolve("logback.xml");
  }

  public Path logsDir() {
    return home.resolve("logs");
  }

  /** The JVM's own stdout and stderr (start-up failures land here before logging is configured). */
  public Path stdoutLog() {
    return logsDir().resolve("stdout.log");
  }

  public Path systemLog() {
    return logsDir().resolve("system.log");
  }

  public Path dataDir() {
    return home.resolve("data");
  }

  public Path commitlogDir() {
    return home.resolve("commitlog");
  }

  public Path savedCachesDir() {
    return home.resolve("saved_caches");
  }

  public Path hintsDir() {
    return home.resolve("hints");
  }

  public Path cdcRawDir() {
    return home.resolve("cdc_raw");
  }

  /** Where Cassandra looks for trigger jars; none are used, but it warns when the folder is missing. */
  public Path triggersDir() {
    return home.resolve("triggers");
  }

  /** The process id of the running Cassandra JVM, as decimal text. */
  public Path pidFile() {
    return home.resolve("cassandra.pid");
  }

  /** The CQL (native transport) port, as decimal text. */
  public Path portFile() {
    return home.resolve("cassandra.port");
  }

  /** All ports the instance was given last time, so a restart keeps the same node address. */
  public Path portsFile() {
    return home.resolve("ports.properties");
  }

  /** Creates every directory of the layout that does not exist yet. */
  public void createDirectories() {
    try {
      for (Path dir : new Path[] {confDir(), logsDir(), dataDir(), commitlogDir(), savedCachesDir(),
          hintsDir(), cdcRawDir(), triggersDir()}) {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Cassandra directories under " + home, e);
    }
  }
}
