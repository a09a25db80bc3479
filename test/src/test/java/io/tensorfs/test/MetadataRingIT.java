package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import io.tensorfs.deploy.cassandra.CassandraInstance;
import io.tensorfs.deploy.cassandra.CassandraLayout;
import io.tensorfs.deploy.cassandra.CassandraRing;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The metadata on a 3-member Cassandra ring on this machine, replication factor 3, QUORUM reads and writes: a
 * node keeps writing and reading while one member is killed with SIGKILL, and the member, restarted, catches up
 * on what it missed (the two others' hints), so that it alone then holds every row.
 */
class MetadataRingIT {
  private static final String KEYSPACE = "it_ring";
  private static final Duration DEADLINE = Duration.ofMinutes(2);

  @Test
  void shouldKeepWritingAndReadingWhenOneOfThreeCassandraMembersIsKilled() throws Exception {
    Path dir = RepoPaths.scratch("ring");
    SharedCassandra.deleteTree(dir);
    CassandraRing ring = new CassandraRing(
        CassandraSettings.defaults(dir).withLibDir(RepoPaths.cassandraLib()).withHeap("512m")
            .withStartTimeout(Duration.ofMinutes(5)), 3);
    long t0 = System.nanoTime();
    List<CassandraInstance> members = ring.start();
    System.out.printf("ring: 3 members answered CQL after %.1f s%n", (System.nanoTime() - t0) / 1e9);
    NodeProcess node = null;
    try {
      node = new NodeProcess("node-1", dir.resolve("node-1"), CassandraRing.contactPoints(members), KEYSPACE,
          List.of(), NodeProcess.freePort(), List.of("--metadata-replicas", "3"), List.of())
          .start(Duration.ofMinutes(4));
      TfsHttp http = new TfsHttp(node);
      byte[] a = SingleNodeIT.random(3 << 20, 31);
      assertEquals(201, http.put("/v1/files/ring/a", a).statusCode());
      for (CassandraInstance m : members) {
        System.out.printf("ring: member pid %d cql %d resident %d MiB%n", m.pid(), m.cqlPort(), residentMiB(m.pid()));
      }

      kill(members.get(1));
      byte[] b = SingleNodeIT.random(2 << 20, 32);
      assertEquals(201, http.put("/v1/files/ring/b", b).statusCode(), "a write with one member down");
      assertEquals(201, http.put("/v1/files/ring/a", b).statusCode(), "a new version with one member down");
      assertArrayEquals(b, http.get("/v1/files/ring/b").body());
      assertArrayEquals(b, http.get("/v1/files/ring/a").body());
      Set<String> rows = journalRowsOnceTheDeadAreConvicted(members.get(0), DefaultConsistencyLevel.QUORUM);
      assertFalse(rows.isEmpty());

      long restart = System.nanoTime();
      CassandraInstance second = ring.member(2).start();
      System.out.printf("ring: member 2 answered CQL again after %.1f s%n", (System.nanoTime() - restart) / 1e9);
      awaitHintsDelivered(dir);

      // Alone, the restarted member must hold every row written while it was down.
      kill(members.get(0));
      kill(members.get(2));
      Set<String> onSecond = journalRowsOnceTheDeadAreConvicted(second, DefaultConsistencyLevel.ONE);
      assertTrue(onSecond.containsAll(rows), "rows the restarted member lacks: " + missing(rows, onSecond));
    } finally {
      if (node != null) node.close();
      ring.stop();
    }
  }

  private static void kill(CassandraInstance member) throws Exception {
    ProcessHandle process = ProcessHandle.of(member.pid()).orElseThrow();
    process.destroyForcibly();
    process.onExit().get(30, TimeUnit.SECONDS);
  }

  /**
   * Every journal row at {@code level}, through {@code via}. A range scan (unlike the node's reads by key) has
   * no speculative retry: until the live members convict the killed ones (seconds), it may be sent to one of
   * them and time out; it is asked again until then. Whatever it returns is complete at {@code level}.
   */
  private static Set<String> journalRowsOnceTheDeadAreConvicted(CassandraInstance via, DefaultConsistencyLevel level)
      throws Exception {
    long until = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      try {
        return journalRows(via, level);
      } catch (ReadTimeoutException e) {
        if (System.nanoTime() > until) throw e;
        TimeUnit.SECONDS.sleep(2);
      }
    }
  }

  /** Every journal row, as persistence id, partition and sequence number, read at {@code level}. */
  private static Set<String> journalRows(CassandraInstance via, DefaultConsistencyLevel level) {
    try (CqlSession session = CqlSession.builder().addContactPoint(via.cqlAddress())
        .withLocalDatacenter("datacenter1").build()) {
      Set<String> rows = new HashSet<>();
      SimpleStatement all = SimpleStatement.newInstance(
          "SELECT persistence_id, partition_nr, sequence_nr FROM " + KEYSPACE + "_journal.messages")
          .setConsistencyLevel(level).setTimeout(Duration.ofSeconds(30));
      for (Row row : session.execute(all)) {
        rows.add(row.getString(0) + "/" + row.getLong(1) + "/" + row.getLong(2));
      }
      return rows;
    }
  }

  /**
   * Waits until members 1 and 3 hold no hint files for long enough that any hint still in memory would have
   * reached the disk (hints_flush_period is 2 s): they have handed the restarted member what it missed.
   */
  private static void awaitHintsDelivered(Path dir) throws Exception {
    long until = System.nanoTime() + DEADLINE.toNanos();
    int quiet = 0;
    while (quiet < 3) {
      if (System.nanoTime() > until) throw new AssertionError("hints not delivered within " + DEADLINE);
      quiet = hintFiles(dir) == 0 ? quiet + 1 : 0;
      TimeUnit.SECONDS.sleep(2);
    }
  }

  private static long hintFiles(Path dir) throws IOException {
    long n = 0;
    for (int m : new int[] {1, 3}) {
      Path hints = CassandraLayout.under(dir, m).hintsDir();
      try (Stream<Path> files = Files.list(hints)) {
        n += files.filter(f -> f.getFileName().toString().endsWith(".hints")).count();
      }
    }
    return n;
  }

  private static long residentMiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
    }
    return -1;
  }

  private static Set<String> missing(Set<String> wanted, Set<String> got) {
    Set<String> gone = new HashSet<>(wanted);
    gone.removeAll(got);
    return gone;
  }
}
