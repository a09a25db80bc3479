package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tensorfs.faults.EmbeddedMetadataStore;
import io.tensorfs.faults.Fault;
import io.tensorfs.faults.FaultRun;
import io.tensorfs.faults.FaultTrial;
import io.tensorfs.faults.FullDiskCheck;
import io.tensorfs.faults.TrialResult;
import io.tensorfs.faults.TrialSettings;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import org.junit.jupiter.api.Test;

/**
 * The fault harness, a few trials of it (the full run is {@code ./tfs bench faults --trials 50}): a
 * 4-node cluster written by several clients while a node, or Cassandra, is killed with SIGKILL and
 * started again; every acknowledged write reads back byte-exact, nothing unacknowledged is visible in
 * part, every file returns to 3 replicas. And a node on a full disk answers 507 and loses nothing.
 * {@code -Dtfs.faults.trials=N} runs more node-kill trials, {@code -Dtfs.faults.seed=S} replays one.
 */
class FaultHarnessIT {
  private static final long SEED = Long.getLong("tfs.faults.seed", System.currentTimeMillis() % 1_000_000);

  @Test
  void shouldKeepEveryAcknowledgedWriteWhenANodeIsKilledMidRun() throws Exception {
    int trials = Integer.getInteger("tfs.faults.trials", 2);
    FaultRun.Summary s = run().run(1, trials, SEED, Fault.NODE_KILL);
    System.out.println(s.line("node killed"));
    assertPassed(s);
  }

  @Test
  void shouldLoseNothingAcknowledgedWhenCassandraIsKilledMidRun() throws Exception {
    FaultRun.Summary s = run().run(101, 1, SEED + 100, Fault.CASSANDRA_KILL);
    System.out.println(s.line("Cassandra killed"));
    assertPassed(s);
  }

  @Test
  void shouldAnswer507AndKeepEveryFileWhenTheDiskFills() throws Exception {
    var check = new FullDiskCheck(RepoPaths.scratch("faults-disk"), metadata(),
        TrialSettings.defaults(RepoPaths.scratch("faults")).nodeProperties());
    FullDiskCheck.Result r = check.run(SEED);
    System.out.println(r.line());
    assumeTrue(r.skipped() == null, r.skipped());
    assertEquals(java.util.List.of(), r.violations(), "seed " + SEED + "\n" + r.history().render());
    assertTrue(r.acknowledged() > 0 && r.refused() >= 2, r.line());
  }

  private static FaultRun run() {
    return new FaultRun(new FaultTrial(TrialSettings.defaults(RepoPaths.scratch("faults")), metadata()), System.out);
  }

  private static EmbeddedMetadataStore metadata() {
    return new EmbeddedMetadataStore(SharedCassandra.embedded(), SharedCassandra.get());
  }

  private static void assertPassed(FaultRun.Summary s) {
    for (TrialResult r : s.results()) {
      assertTrue(r.passed(), "trial " + r.trial() + " (replay: -Dtfs.faults.seed=" + r.seed() + "): "
          + String.join("\n", r.violations()) + "\nhistory in " + r.history());
      assertTrue(r.readBack() > 0, "trial " + r.trial() + " acknowledged nothing it could check: " + r.line());
    }
  }
}
