package io.tensorfs.bench;

import io.tensorfs.deploy.cassandra.CassandraInstance;
import io.tensorfs.deploy.cassandra.CassandraSettings;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import io.tensorfs.faults.EmbeddedMetadataStore;
import io.tensorfs.faults.Fault;
import io.tensorfs.faults.FaultRun;
import io.tensorfs.faults.FaultTrial;
import io.tensorfs.faults.FullDiskCheck;
import io.tensorfs.faults.TrialSettings;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./tfs bench faults}: the fault harness in full. {@code --trials N} trials of a 4-node cluster
 * whose clients write while a random node is killed with SIGKILL and started again, then
 * {@code --cassandra-trials M} in which Cassandra is killed and started again, then the full-disk check
 * on a loop-mounted file system (skipped, with the reason, where loop mounts are not possible). Prints a
 * line per trial and a summary; a failed trial prints its seed and its history. Exits 1 if any failed.
 */
final class FaultsBench {
  private FaultsBench() {}

  static void run(String[] args) throws Exception {
    int trials = 50;
    int cassandraTrials = 2;
    boolean disk = true;
    long seed = System.currentTimeMillis() % 1_000_000;
    int clients = 4;
    Path dir = RepoPaths.root().resolve("test/target/bench-faults");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--trials" -> trials = Integer.parseInt(args[i + 1]);
        case "--cassandra-trials" -> cassandraTrials = Integer.parseInt(args[i + 1]);
        case "--disk" -> disk = switch (args[i + 1]) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new IllegalArgumentException("--disk on|off");
        };
        case "--seed" -> seed = Long.parseLong(args[i + 1]);
        case "--clients" -> clients = Integer.parseInt(args[i + 1]);
        case "--dir" -> dir = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (args.length % 2 != 0) throw new IllegalArgumentException("options take a value: " + String.join(" ", args));
    SharedCassandra.deleteTree(dir);
    Files.createDirectories(dir);
    TrialSettings defaults = TrialSettings.defaults(dir);
    TrialSettings settings = new TrialSettings(defaults.nodes(), clients, defaults.pathsPerClient(), dir,
        defaults.nodeProperties(), defaults.requestTimeout(), defaults.writeAfterHeal(), defaults.healDeadline());
    System.out.printf("tfs bench faults: %d node-kill trials, %d Cassandra-kill trials, full disk %s; %d nodes,"
            + " %d clients; seed %d; %d cores%n",
        trials, cassandraTrials, disk ? "on" : "off", settings.nodes(), clients, seed,
        Runtime.getRuntime().availableProcessors());
    EmbeddedCassandra cassandra = new EmbeddedCassandra(
        CassandraSettings.defaults(dir.resolve("cassandra")).withLibDir(RepoPaths.cassandraLib()).withHeap("512m"));
    CassandraInstance instance = cassandra.start();
    List<String> summary = new ArrayList<>();
    boolean failed = false;
    try {
      EmbeddedMetadataStore metadata = new EmbeddedMetadataStore(cassandra, instance);
      FaultRun run = new FaultRun(new FaultTrial(settings, metadata), System.out);
      if (trials > 0) {
        FaultRun.Summary s = run.run(1, trials, seed, Fault.NODE_KILL);
        summary.add(s.line("node killed"));
        failed |= s.failed() > 0;
      }
      if (cassandraTrials > 0) {
        FaultRun.Summary s = run.run(trials + 1, cassandraTrials, seed + trials, Fault.CASSANDRA_KILL);
        summary.add(s.line("Cassandra killed"));
        failed |= s.failed() > 0;
      }
      if (disk) {
        FullDiskCheck.Result r = new FullDiskCheck(dir.resolve("disk"), metadata, settings.nodeProperties()).run(seed);
        summary.add(r.line());
        failed |= !r.passed();
      }
    } finally {
      cassandra.stop();
    }
    System.out.println("summary (seed " + seed + "):");
    summary.forEach(l -> System.out.println("  " + l));
    if (failed) throw new IllegalStateException("fault trials failed; see the seeds and histories above");
  }
}
