package io.tensorfs.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * The statements a Cassandra node has served, by table, from the latency counters Cassandra 5 keeps in
 * {@code system_views}: {@code local_write_latency} counts the mutations it applied to each table,
 * {@code local_read_latency} and {@code local_scan_latency} the partition reads and range scans. Read
 * before and after a phase, the difference is what the phase cost. Cassandra's own {@code system*}
 * keyspaces are left out. One session; one thread at a time.
 */
final class CassandraCounts implements AutoCloseable {
  private final CqlSession session;

  /** Writes and reads (reads and scans) one table served, counts. */
  record Table(long writes, long reads) {
    Table minus(Table before) {
      return new Table(writes - before.writes, reads - before.reads);
    }
  }

  CassandraCounts(int cqlPort) {
    session = CqlSession.builder().addContactPoint(new InetSocketAddress("127.0.0.1", cqlPort))
        .withLocalDatacenter("datacenter1").build();
  }

  /** Every table's counts so far, by {@code keyspace.table}. */
  Map<String, Table> now() {
    Map<String, Table> out = new TreeMap<>();
    add(out, "local_write_latency", true);
    add(out, "local_read_latency", false);
    add(out, "local_scan_latency", false);
    return out;
  }

  /** What was served between {@code before} and {@code after}, tables with nothing left out. */
  static Map<String, Table> between(Map<String, Table> before, Map<String, Table> after) {
    Map<String, Table> out = new TreeMap<>();
    after.forEach((table, a) -> {
      Table d = a.minus(before.getOrDefault(table, new Table(0, 0)));
      if (d.writes() != 0 || d.reads() != 0) out.put(table, d);
    });
    return out;
  }

  private void add(Map<String, Table> out, String view, boolean writes) {
    for (Row r : session.execute("SELECT keyspace_name, table_name, count FROM system_views." + view)) {
      String keyspace = r.getString("keyspace_name");
      if (keyspace == null || keyspace.startsWith("system")) continue;
      long n = r.getLong("count");
      out.merge(keyspace + "." + r.getString("table_name"), writes ? new Table(n, 0) : new Table(0, n),
          (a, b) -> new Table(a.writes() + b.writes(), a.reads() + b.reads()));
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
