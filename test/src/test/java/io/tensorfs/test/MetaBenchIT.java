package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.bench.MetaBench;
import io.tensorfs.harness.RepoPaths;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code ./tfs bench meta --quick --profile} end to end on a fresh Cassandra and node: every part runs and
 * every check it makes passes (creates answered 201 and read back, stats and GETs exact, the directory listed
 * whole and in order before and after the node's restart). Speed is the benchmark's to print, not asserted.
 */
class MetaBenchIT {
  @Test
  void shouldRunEveryPartWithItsChecksWhenQuick() throws Exception {
    int clients = 4;
    int entries = 1500;
    MetaBench.Checks checks = MetaBench.run(new String[] {"--quick", "--profile", "--clients", Integer.toString(clients),
        "--dir-entries", Integer.toString(entries), "--dir", RepoPaths.scratch("meta-bench").toString()});

    assertEquals(4L * clients, checks.readBacks(), "a sample of each of the four create rounds is read back");
    assertTrue(checks.createsChecked() > entries, "creates: " + checks);
    assertTrue(checks.statsChecked() > 0, "stats: " + checks);
    assertTrue(checks.getsChecked() > checks.readBacks(), "GETs: " + checks);
    assertEquals(2L * entries, checks.listedEntries(), "the directory is listed whole before and after the restart");
    List<String> tables = checks.tables();
    assertTrue(tables.stream().anyMatch(t -> t.startsWith("| create + seal")), String.join("\n", tables));
    assertTrue(tables.stream().anyMatch(t -> t.startsWith("| read, ")), String.join("\n", tables));
    assertTrue(tables.stream().anyMatch(t -> t.contains("Cassandra writes")), String.join("\n", tables));
    assertTrue(tables.stream().anyMatch(t -> t.startsWith("| node CPU ms per operation")),
        "the JFR breakdown: " + String.join("\n", tables));
    assertTrue(tables.stream().anyMatch(t -> t.startsWith("| node restart")), String.join("\n", tables));
    assertTrue(checks.kvMeasured(), "KV blocks: " + String.join("\n", tables));
  }
}
