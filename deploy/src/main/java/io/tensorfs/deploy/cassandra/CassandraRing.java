package io.tensorfs.deploy.cassandra;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A ring of Cassandra nodes on this machine, all on 127.0.0.1 and told apart by their ports: member 1 in
 * {@code dataDir/cassandra} is the seed, member n in {@code dataDir/cassandra-n} joins through it. A ring of
 * one is the lone embedded node. Each member is an {@link EmbeddedCassandra} with its own data, commit log,
 * logs, pid and ports, so one can be killed and restarted alone.
 *
 * <p>Members start one after another: Cassandra lets only one node join (bootstrap) at a time. Every method
 * blocks the calling thread for as long as the members take (seconds each): launchers and tests only. Not
 * thread-safe.
 */
public final class CassandraRing {

  private final CassandraSettings base;
  private final int size;

  /**
   * @param base settings of member 1 (its data directory, heap, commit log mode, CQL port or 0); the others
   *             differ only in member number, seed and ports
   * @param size how many members, at least 1
   */
  public CassandraRing(CassandraSettings base, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("a ring has at least one member, not " + size);
    }
    this.base = base.asMember(1, 0);
    this.size = size;
  }

  /** A ring of as many members as have a home under {@code base}'s data directory (at least 1). */
  public static CassandraRing onDisk(CassandraSettings base) {
    int n = 1;
    while (Files.isDirectory(CassandraLayout.under(base.dataDir(), n + 1).home())) {
      n++;
    }
    return new CassandraRing(base, n);
  }

  public int size() {
    return size;
  }

  /**
   * Member {@code number} (from 1), set up to join through member 1's internode port as recorded by its last
   * start; member 1 must have been started once before another member is.
   */
  public EmbeddedCassandra member(int number) {
    if (number < 1 || number > size) {
      throw new IllegalArgumentException("no member " + number + " in a ring of " + size);
    }
    if (number == 1) {
      return new EmbeddedCassandra(base);
    }
    int seedPort = new EmbeddedCassandra(base).recordedPorts()
        .orElseThrow(() -> new CassandraLaunchException("member 1 of the ring under " + base.dataDir()
            + " never started: its internode port is unknown"))
        .storagePort();
    EmbeddedCassandra recorded = new EmbeddedCassandra(base.asMember(number, seedPort).withCqlPort(0));
    return new EmbeddedCassandra(base.asMember(number, seedPort).withCqlPort(cqlPortOf(recorded, number)));
  }

  /**
   * Starts every member that is not running, in order, each once the one before answers CQL; adopts those
   * that run.
   *
   * @return every member, in order
   * @throws CassandraLaunchException when a member does not start (the members started before keep running)
   */
  public List<CassandraInstance> start() {
    List<CassandraInstance> started = new ArrayList<>();
    for (int m = 1; m <= size; m++) {
      started.add(member(m).start());
    }
    return started;
  }

  /** Stops every member, the last first; whether any was running. */
  public boolean stop() {
    boolean any = false;
    for (int m = size; m >= 1; m--) {
      any |= (m == 1 ? new EmbeddedCassandra(base) : memberForStop(m)).stop();
    }
    return any;
  }

  /** The members that answer CQL now, in member order; a member that is down is left out. */
  public List<CassandraInstance> running() {
    List<CassandraInstance> up = new ArrayList<>();
    for (int m = 1; m <= size; m++) {
      memberForStop(m).running().ifPresent(up::add);
    }
    return up;
  }

  /** {@code 127.0.0.1:9042,127.0.0.1:9043,...}: what a node's {@code --cassandra} option takes. */
  public static String contactPoints(List<CassandraInstance> members) {
    return members.stream().map(CassandraInstance::contactPoint).collect(Collectors.joining(","));
  }

  /** A member as far as its files tell; enough to stop it or ask its state, whatever member 1 recorded. */
  EmbeddedCassandra memberForStop(int number) {
    return new EmbeddedCassandra(base.asMember(number, 0));
  }

  /**
   * The CQL port member {@code number} had last time if it is free (or its JVM still holds it), else the first
   * free port above the previous member's.
   */
  private int cqlPortOf(EmbeddedCassandra recorded, int number) {
    Optional<Integer> last = recorded.recordedCqlPort();
    if (last.isPresent() && (recorded.liveProcess().isPresent() || FreePorts.isFree(last.get()))) {
      return last.get();
    }
    int previous = member(number - 1).recordedCqlPort().orElse(CassandraMain.DEFAULT_CQL_PORT + number - 2);
    return FreePorts.firstFreeFrom(previous + 1);
  }
}
