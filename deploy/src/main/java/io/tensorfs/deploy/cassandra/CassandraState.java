package io.tensorfs.deploy.cassandra;

/** What an embedded Cassandra is doing, as the launcher reports it. */
public enum CassandraState {
  /** Its JVM runs and answers CQL. */
  UP,
  /** Its JVM runs but does not answer CQL yet. */
  STARTING,
  /** No JVM runs for this data directory. */
  DOWN;

  /** The lower-case word the launcher prints. */
  public String word() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
