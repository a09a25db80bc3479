package io.tensorfs.sharding.drain;

/**
 * Where a node stands in its drain: {@code active -> draining -> drained} (no replica left on it);
 * {@code active|draining|drained -> decommissioning -> decommissioned} (drained, then it left the cluster
 * and stopped); an undrain returns any of them to {@code active}.
 */
public enum DrainState {
  ACTIVE,
  DRAINING,
  DRAINED,
  DECOMMISSIONING,
  DECOMMISSIONED;

  /** The name on the wire: lower case. */
  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether the node takes no new replicas and gives up the ones it holds. */
  public boolean drains() {
    return this != ACTIVE;
  }
}
