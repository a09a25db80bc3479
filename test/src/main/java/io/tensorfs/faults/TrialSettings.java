package io.tensorfs.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the trials of a fault run are made. Immutable.
 *
 * @param nodes          node processes per trial's cluster
 * @param clients        concurrent writers
 * @param pathsPerClient paths each writer keeps writing at a time
 * @param dir            each trial's nodes, logs and history go under it ({@code trial-<n>})
 * @param nodeProperties JVM options of every node
 * @param requestTimeout how long a request may take before its outcome counts as unknown
 * @param writeAfterHeal how long the writers go on after the faulty part is back
 * @param healDeadline   how long the final reads and the return to full replication may take
 */
public record TrialSettings(int nodes, int clients, int pathsPerClient, Path dir, List<String> nodeProperties,
    Duration requestTimeout, Duration writeAfterHeal, Duration healDeadline) {
  public TrialSettings {
    if (nodes < 4) throw new IllegalArgumentException("a trial kills one of at least 4 nodes, got " + nodes);
    if (clients < 1 || pathsPerClient < 1) throw new IllegalArgumentException("at least one client and one path");
    nodeProperties = List.copyOf(nodeProperties);
  }

  /** Four nodes, four clients of four paths each, the fast fail-over settings. */
  public static TrialSettings defaults(Path dir) {
    return new TrialSettings(4, 4, 4, dir, FaultCluster.FAST_FAILOVER, Duration.ofSeconds(90),
        Duration.ofSeconds(3), Duration.ofSeconds(180));
  }
}
