package io.tensorfs.deploy.cassandra;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Command line for the embedded Cassandra, used by the {@code tfs} launcher.
 *
 * <pre>
 * start  --dir D [--members N] [--port P] [--lib DIR] [--heap 512m] [--timeout SECONDS]
 *        [--commitlog-sync batch|group[:WINDOW]|periodic[:PERIOD]]
 *        prints "cassandra ready 127.0.0.1:PORT[,127.0.0.1:PORT...] pid=PID[,PID...]"; without --port member 1
 *        takes the port of the last start, else 9042, else the next free port above 9042; with --members N a
 *        ring of N members (member n in D/cassandra-n, joining through member 1), one after another
 * stop   --dir D        stops every member found under D
 * status --dir D        prints, per member, "cassandra[-n] pid=PID cql=127.0.0.1:PORT state=up|starting|down"
 * </pre>
 *
 * Exit status: 0 on success (status: up), 1 on failure, 2 on bad usage, 3 from status when not up.
 */
public final class CassandraMain {

  static final int DEFAULT_CQL_PORT = 9042;
  private static final int EXIT_OK = 0;
  private static final int EXIT_FAILED = 1;
  private static final int EXIT_USAGE = 2;
  private static final int EXIT_NOT_UP = 3;
  private static final String USAGE = "usage: CassandraMain start|stop|status --dir DIR [--members N]"
      + " [--port P] [--lib DIR] [--heap 512m] [--timeout SECONDS] [--commitlog-sync batch|group:2ms|periodic:10s]";

  private CassandraMain() {
  }

  public static void main(String[] args) {
    int status;
    try {
      status = run(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      status = EXIT_USAGE;
    } catch (RuntimeException e) {
      System.err.println("cassandra: " + e.getMessage());
      status = EXIT_FAILED;
    }
    // Driver and JVM threads may linger: leave explicitly, whatever happened.
    System.exit(status);
  }

  static int run(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("missing command");
    }
    quietClientLogging();
    Map<String, String> options = options(args);
    String dir = options.get("--dir");
    if (dir == null) {
      throw new IllegalArgumentException("missing --dir");
    }
    CassandraSettings settings = settings(Path.of(dir), options);
    EmbeddedCassandra cassandra = new EmbeddedCassandra(settings);
    switch (args[0]) {
      case "start":
        return start(cassandra, settings, options);
      case "stop":
        System.out.println(CassandraRing.onDisk(settings).stop() ? "cassandra stopped" : "cassandra was not running");
        return EXIT_OK;
      case "status":
        return status(CassandraRing.onDisk(settings));
      default:
        throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  private static int start(EmbeddedCassandra cassandra, CassandraSettings settings, Map<String, String> options) {
    CassandraSettings withPort = options.containsKey("--port")
        ? settings
        : settings.withCqlPort(defaultCqlPort(cassandra));
    int members = options.containsKey("--members") ? parseInt("--members", options.get("--members")) : 1;
    List<CassandraInstance> ring = new CassandraRing(withPort, members).start();
    System.out.println("cassandra ready " + CassandraRing.contactPoints(ring) + " pid="
        + ring.stream().map(i -> Long.toString(i.pid())).collect(Collectors.joining(",")));
    return EXIT_OK;
  }

  private static int status(CassandraRing ring) {
    boolean allUp = true;
    for (int m = 1; m <= ring.size(); m++) {
      EmbeddedCassandra cassandra = ring.memberForStop(m);
      CassandraState state = cassandra.state();
      String pid = state == CassandraState.DOWN ? "-" : cassandra.recordedPid().map(String::valueOf).orElse("-");
      String port = cassandra.recordedCqlPort().map(String::valueOf).orElse("-");
      System.out.println(CassandraLayout.homeName(m) + " pid=" + pid + " cql=" + CassandraInstance.HOST + ":" + port
          + " state=" + state.word());
      allUp &= state == CassandraState.UP;
    }
    return allUp ? EXIT_OK : EXIT_NOT_UP;
  }

  /** The port of the last start if it is free, else 9042 or the next free port above it. */
  private static int defaultCqlPort(EmbeddedCassandra cassandra) {
    Optional<Integer> recorded = cassandra.recordedCqlPort().filter(FreePorts::isFree);
    return recorded.orElseGet(() -> FreePorts.firstFreeFrom(DEFAULT_CQL_PORT));
  }

  private static CassandraSettings settings(Path dir, Map<String, String> options) {
    // The default mode is a setting of the node's configuration (deploy's reference.conf, -D overrides).
    CassandraSettings settings = CassandraSettings.defaults(dir).withCommitlogSync(
        CommitlogSync.parse(ConfigFactory.load().getString("tensorfs.metadata.commitlog-sync")));
    if (options.containsKey("--port")) {
      settings = settings.withCqlPort(parseInt("--port", options.get("--port")));
    }
    if (options.containsKey("--lib")) {
      settings = settings.withLibDir(Path.of(options.get("--lib")));
    }
    if (options.containsKey("--heap")) {
      settings = settings.withHeap(options.get("--heap"));
    }
    if (options.containsKey("--commitlog-sync")) {
      settings = settings.withCommitlogSync(CommitlogSync.parse(options.get("--commitlog-sync")));
    }
    if (options.containsKey("--timeout")) {
      settings = settings.withStartTimeout(Duration.ofSeconds(parseInt("--timeout", options.get("--timeout"))));
    }
    return settings;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("bad option " + args[i]);
      }
      options.put(args[i], args[i + 1]);
    }
    return options;
  }

  private static int parseInt(String name, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " wants a number, got " + value);
    }
  }

  /** The probe opens driver sessions against a node that is not up yet; its retries are not news. */
  private static void quietClientLogging() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
      context.getLogger("com.datastax.oss.driver").setLevel(Level.OFF);
    }
  }
}
