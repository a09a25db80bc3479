package io.tensorfs.deploy.cassandra;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Cassandra 5.0 node for the one-machine default, run from its jars in its own JVM: a lone node,
 * or one member of a ring on this machine ({@link CassandraRing}).
 *
 * <p>All state is on disk under {@code <dataDir>/cassandra} (member n of a ring: {@code cassandra-n}): configuration, data, logs, and the pid and CQL
 * port of the running JVM. The JVM outlives the one that started it, so any later launcher can find, reuse
 * or stop it; {@link #start()} is idempotent and data survives {@link #stop()}.
 *
 * <p>Every method blocks the calling thread (start-up takes seconds): call it from a launcher or a test,
 * never from an actor. Not thread-safe: one launcher per data directory at a time.
 */
public final class EmbeddedCassandra {

  private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final int LOG_TAIL_LINES = 40;
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private final CassandraSettings settings;
  private final CassandraLayout layout;

  public EmbeddedCassandra(CassandraSettings settings) {
    this.settings = settings;
    this.layout = settings.layout();
  }

  public CassandraLayout layout() {
    return layout;
  }

  /**
   * Starts Cassandra, or adopts the one already running for this data directory, and returns once it
   * answers CQL.
   *
   * @throws CassandraLaunchException when the JVM exits or CQL does not answer within the start timeout;
   *                                  a JVM this call launched is killed first
   */
  public CassandraInstance start() {
    layout.createDirectories();
    Optional<ProcessHandle> running = liveProcess();
    if (running.isPresent()) {
      int port = recordedCqlPort().orElseThrow(() -> new CassandraLaunchException(
          "Cassandra pid " + running.get().pid() + " runs but " + layout.portFile() + " is missing"));
      return awaitCql(running.get(), port, false);
    }
    CassandraPorts ports = choosePorts();
    ports.save(layout.portsFile());
    CassandraConfigFiles.write(layout, ports, settings.commitlogSync(), settings.seedStoragePort());
    ProcessHandle launched = launch();
    writeText(layout.pidFile(), Long.toString(launched.pid()));
    writeText(layout.portFile(), Integer.toString(ports.cqlPort()));
    return awaitCql(launched, ports.cqlPort(), true);
  }

  /**
   * Stops the Cassandra of this data directory: SIGTERM (it flushes and drains), SIGKILL once the stop
   * timeout passes, then waits for the JVM to be gone.
   *
   * @return whether a running Cassandra was stopped
   */
  public boolean stop() {
    Optional<ProcessHandle> running = liveProcess();
    if (running.isEmpty()) {
      deleteQuietly(layout.pidFile());
      return false;
    }
    ProcessHandle process = running.get();
    process.destroy();
    if (!awaitExit(process, settings.stopTimeout())) {
      process.destroyForcibly();
      if (!awaitExit(process, KILL_TIMEOUT)) {
        throw new CassandraLaunchException("Cassandra pid " + process.pid() + " survived SIGKILL");
      }
    }
    deleteQuietly(layout.pidFile());
    return true;
  }

  /** The running instance, if its JVM is alive and answers CQL. */
  public Optional<CassandraInstance> running() {
    return liveProcess().flatMap(process -> recordedCqlPort()
        .map(port -> new CassandraInstance(process.pid(), port))
        .filter(instance -> CqlProbe.releaseVersion(instance.cqlAddress()).isPresent()));
  }

  public CassandraState state() {
    if (liveProcess().isEmpty()) {
      return CassandraState.DOWN;
    }
    return running().isPresent() ? CassandraState.UP : CassandraState.STARTING;
  }

  /** The pid recorded by the last start, whether or not that JVM still runs. */
  public Optional<Long> recordedPid() {
    return readNumber(layout.pidFile()).map(Long::parseLong);
  }

  /** Every port given to the last start, whether or not that JVM still runs. */
  public Optional<CassandraPorts> recordedPorts() {
    return CassandraPorts.load(layout.portsFile());
  }

  /** The CQL port recorded by the last start, whether or not that JVM still runs. */
  public Optional<Integer> recordedCqlPort() {
    return readNumber(layout.portFile()).map(Integer::parseInt);
  }

  /** The JVM named by the pid file, if it is alive and is the Cassandra of this data directory. */
  Optional<ProcessHandle> liveProcess() {
    return recordedPid()
        .flatMap(ProcessHandle::of)
        .filter(ProcessHandle::isAlive)
        .filter(process -> CassandraProcesses.isCassandraOf(process, layout));
  }

  /** The ports of the last start where they are still free, so the node keeps its address; else new. */
  private CassandraPorts choosePorts() {
    Optional<CassandraPorts> previous = CassandraPorts.load(layout.portsFile());
    int cql = settings.cqlPort() > 0
        ? settings.cqlPort()
        : FreePorts.wantedOrAny(previous.map(CassandraPorts::cqlPort).orElse(0));
    int storage = FreePorts.wantedOrAny(previous.map(CassandraPorts::storagePort).orElse(0));
    int sslStorage = FreePorts.wantedOrAny(previous.map(CassandraPorts::sslStoragePort).orElse(0));
    if (!FreePorts.isFree(cql)) {
      throw new CassandraLaunchException("CQL port " + cql + " is already in use");
    }
    return new CassandraPorts(cql, storage, sslStorage);
  }

  private ProcessHandle launch() {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(SETSID)) {
      // Its own session: a Ctrl-C in the launcher's terminal must not reach the database.
      command.add(SETSID.toString());
    }
    command.addAll(CassandraCommand.build(settings));
    File stdout = layout.stdoutLog().toFile();
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(layout.home().toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout))
        .redirectErrorStream(true);
    try {
      return builder.start().toHandle();
    } catch (IOException e) {
      throw new CassandraLaunchException("cannot run " + command.get(0), e);
    }
  }

  private CassandraInstance awaitCql(ProcessHandle process, int port, boolean launchedHere) {
    CassandraInstance instance = new CassandraInstance(process.pid(), port);
    long deadlineNs = System.nanoTime() + settings.startTimeout().toNanos();
    while (true) {
      if (!process.isAlive()) {
        deleteQuietly(layout.pidFile());
        throw new CassandraLaunchException("Cassandra exited during start-up\n" + logTail());
      }
      if (CqlProbe.releaseVersion(instance.cqlAddress()).isPresent()) {
        return instance;
      }
      if (System.nanoTime() - deadlineNs > 0) {
        if (launchedHere) {
          stop();
        }
        throw new CassandraLaunchException("Cassandra did not answer CQL on " + instance.contactPoint()
            + " within " + settings.startTimeout().toSeconds() + " s\n" + logTail());
      }
      pause();
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration timeout) {
    long deadlineNs = System.nanoTime() + timeout.toNanos();
    while (process.isAlive()) {
      if (System.nanoTime() - deadlineNs > 0) {
        return false;
      }
      pause();
    }
    return true;
  }

  /** Between two probes of a process that this thread can only observe from outside. */
  private static void pause() {
    try {
      TimeUnit.NANOSECONDS.sleep(POLL_INTERVAL.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CassandraLaunchException("interrupted while waiting for Cassandra", e);
    }
  }

  /** The last lines of the JVM output and of Cassandra's own log, for error messages. */
  public String logTail() {
    return LogTail.of(layout.stdoutLog(), LOG_TAIL_LINES) + LogTail.of(layout.systemLog(), LOG_TAIL_LINES);
  }

  private static Optional<String> readNumber(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).trim();
      return text.matches("[0-9]+") ? Optional.of(text) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void writeText(Path file, String text) {
    try {
      Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A stale pid file is harmless: liveProcess() checks the process itself.
    }
  }
}
