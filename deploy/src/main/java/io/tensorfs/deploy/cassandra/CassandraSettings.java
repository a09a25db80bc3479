package io.tensorfs.deploy.cassandra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to run one embedded Cassandra.
 *
 * @param dataDir      the tensorfs data directory; Cassandra keeps everything under {@code dataDir/cassandra}
 * @param cqlPort      the CQL port; 0 picks the port recorded by the last start if it is free, else any free one
 * @param libDir       the folder holding cassandra-all and its dependencies
 * @param heap         the JVM heap, as the JVM writes it ({@code 512m}); initial and maximum are equal
 * @param startTimeout how long {@link EmbeddedCassandra#start()} waits for CQL to answer
 * @param stopTimeout  how long {@link EmbeddedCassandra#stop()} waits after SIGTERM before SIGKILL
 * @param commitlogSync when the commit log reaches the disk relative to answering a write
 * @param member       this instance's number in a ring on this machine, from 1; member 1 lives in
 *                     {@code dataDir/cassandra}, member n in {@code dataDir/cassandra-n}
 * @param seedStoragePort the internode port of the ring's seed (member 1); 0: this instance is its own seed
 */
public record CassandraSettings(Path dataDir, int cqlPort, Path libDir, String heap, Duration startTimeout,
                Duration stopTimeout, CommitlogSync commitlogSync, int member, int seedStoragePort) {

  public static final String DEFAULT_HEAP = "512m";
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(90);
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);

  /** Where the cassandra-dist module copies the runtime, relative to the repository root. */
  static final Path LIB_IN_REPO = Path.of("deploy", "cassandra-dist", "target", "lib");

  public CassandraSettings {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(libDir, "libDir");
    Objects.requireNonNull(heap, "heap");
    Objects.requireNonNull(startTimeout, "startTimeout");
    Objects.requireNonNull(stopTimeout, "stopTimeout");
    Objects.requireNonNull(commitlogSync, "commitlogSync");
    if (member < 1) {
      throw new IllegalArgumentException("member numbers start at 1, got " + member);
    }
    if (seedStoragePort < 0 || seedStoragePort > 65535) {
      throw new IllegalArgumentException("seedStoragePort out of range: " + seedStoragePort);
    }
    if (cqlPort < 0 || cqlPort > 65535) {
      throw new IllegalArgumentException("cqlPort out of range: " + cqlPort);
    }
    if (!heap.matches("[0-9]+[kKmMgG]?")) {
      throw new IllegalArgumentException("heap must look like 512m or 1g, got " + heap);
    }
    dataDir = dataDir.toAbsolutePath().normalize();
    libDir = libDir.toAbsolutePath().normalize();
  }

  /**
   * Defaults for {@code dataDir}: any free port, the repository's lib folder, 512 MiB heap, 90 s to start, the
   * commit log synced before each answer (batch), a lone node (member 1, its own seed).
   */
  public static CassandraSettings defaults(Path dataDir) {
    return new CassandraSettings(dataDir, 0, defaultLibDir(), DEFAULT_HEAP, DEFAULT_START_TIMEOUT,
        DEFAULT_STOP_TIMEOUT, CommitlogSync.BATCH, 1, 0);
  }

  public CassandraSettings withCqlPort(int port) {
    return new CassandraSettings(dataDir, port, libDir, heap, startTimeout, stopTimeout,
        commitlogSync, member, seedStoragePort);
  }

  public CassandraSettings withLibDir(Path dir) {
    return new CassandraSettings(dataDir, cqlPort, dir, heap, startTimeout, stopTimeout,
        commitlogSync, member, seedStoragePort);
  }

  public CassandraSettings withHeap(String size) {
    return new CassandraSettings(dataDir, cqlPort, libDir, size, startTimeout, stopTimeout,
        commitlogSync, member, seedStoragePort);
  }

  public CassandraSettings withStartTimeout(Duration timeout) {
    return new CassandraSettings(dataDir, cqlPort, libDir, heap, timeout, stopTimeout,
        commitlogSync, member, seedStoragePort);
  }

  public CassandraSettings withStopTimeout(Duration timeout) {
    return new CassandraSettings(dataDir, cqlPort, libDir, heap, startTimeout, timeout,
        commitlogSync, member, seedStoragePort);
  }

  public CassandraSettings withCommitlogSync(CommitlogSync sync) {
    return new CassandraSettings(dataDir, cqlPort, libDir, heap, startTimeout, stopTimeout, sync, member,
        seedStoragePort);
  }

  /** Member {@code number} of a ring whose seed listens for internode traffic on {@code seedPort}. */
  public CassandraSettings asMember(int number, int seedPort) {
    return new CassandraSettings(dataDir, cqlPort, libDir, heap, startTimeout, stopTimeout, commitlogSync, number,
        seedPort);
  }

  public CassandraLayout layout() {
    return CassandraLayout.under(dataDir, member);
  }

  /**
   * The repository's {@code deploy/cassandra-dist/target/lib}, searched from the working directory upwards
   * (so it is found from the repository root and from inside {@code deploy/}); the path under the working
   * directory when none exists yet.
   */
  public static Path defaultLibDir() {
    Path cwd = Path.of("").toAbsolutePath();
    return findLibFrom(cwd).orElse(cwd.resolve(LIB_IN_REPO));
  }

  static Optional<Path> findLibFrom(Path start) {
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path fromRoot = dir.resolve(LIB_IN_REPO);
      if (Files.isDirectory(fromRoot)) {
        return Optional.of(fromRoot);
      }
      Path fromDeploy = dir.resolve(LIB_IN_REPO.subpath(1, LIB_IN_REPO.getNameCount()));
      if (Files.isDirectory(fromDeploy)) {
        return Optional.of(fromDeploy);
      }
    }
    return Optional.empty();
  }
}
