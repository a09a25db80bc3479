package io.tensorfs.deploy;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How the node starts and stops, read once from {@code tensorfs.node} and validated. Immutable.
 *
 * @param schemaStatementTimeout each statement that creates the metadata schema
 * @param reconcileTimeout one store's comparison of its disk with the metadata at start
 * @param readinessRetryInterval between attempts of a start-up step that waits on something outside
 * @param peersWait how long the node waits at start to hear from every other reachable node (so that its
 *     first write knows where the room is) before it is ready with what it heard
 * @param workerMinBackoff first restart delay of a failed background worker
 * @param workerMaxBackoff longest restart delay of a failed background worker
 * @param edgeTerminateDeadline how long requests in flight get to finish when the node stops
 * @param flushDeadline how long write-back data gets to reach its disks when the node stops
 */
public record NodeSettings(Duration schemaStatementTimeout, Duration reconcileTimeout,
    Duration readinessRetryInterval, Duration peersWait, Duration workerMinBackoff, Duration workerMaxBackoff,
    Duration edgeTerminateDeadline, Duration flushDeadline) {

  public NodeSettings {
    positive("schema-statement-timeout", schemaStatementTimeout);
    positive("reconcile-timeout", reconcileTimeout);
    positive("readiness-retry-interval", readinessRetryInterval);
    positive("peers-wait", peersWait);
    positive("worker-backoff.min", workerMinBackoff);
    positive("worker-backoff.max", workerMaxBackoff);
    positive("shutdown.edge-terminate-deadline", edgeTerminateDeadline);
    positive("shutdown.flush-deadline", flushDeadline);
    if (workerMaxBackoff.compareTo(workerMinBackoff) < 0) {
      throw new IllegalArgumentException("tensorfs.node.worker-backoff.max (" + workerMaxBackoff
          + ") is below worker-backoff.min (" + workerMinBackoff + ")");
    }
  }

  /**
   * Reads {@code tensorfs.node}; also checks that the Coordinated Shutdown phases that wait on the edges
   * and on the flush allow longer than their deadlines, so a deadline, not the phase, cuts the wait.
   */
  public static NodeSettings fromConfig(Config config) {
    Config c = config.getConfig("tensorfs.node");
    NodeSettings s = new NodeSettings(c.getDuration("schema-statement-timeout"), c.getDuration("reconcile-timeout"),
        c.getDuration("readiness-retry-interval"), c.getDuration("peers-wait"), c.getDuration("worker-backoff.min"),
        c.getDuration("worker-backoff.max"), c.getDuration("shutdown.edge-terminate-deadline"),
        c.getDuration("shutdown.flush-deadline"));
    within(config, "service-requests-done", "shutdown.edge-terminate-deadline", s.edgeTerminateDeadline());
    within(config, "service-stop", "shutdown.flush-deadline", s.flushDeadline());
    return s;
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("tensorfs.node." + key + " must be positive, not " + d);
    }
  }

  private static void within(Config config, String phase, String key, Duration deadline) {
    String at = "pekko.coordinated-shutdown.phases." + phase + ".timeout";
    Duration timeout = config.hasPath(at) ? config.getDuration(at)
        : config.getDuration("pekko.coordinated-shutdown.default-phase-timeout");
    if (timeout.compareTo(deadline) <= 0) {
      throw new IllegalArgumentException(at + " (" + timeout + ") must be longer than tensorfs.node." + key
          + " (" + deadline + ")");
    }
  }
}
