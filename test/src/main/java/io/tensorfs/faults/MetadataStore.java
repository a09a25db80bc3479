package io.tensorfs.faults;

/**
 * The Cassandra a fault run uses: where nodes reach it, and, for the trials that kill it, how to kill
 * it with SIGKILL and start it again on the same data and address. Called from the trial's thread.
 */
public interface MetadataStore {
  /** {@code host:port}, the same before and after a restart. */
  String contactPoint();

  /** SIGKILL of the Cassandra JVM; returns once it is gone. */
  void kill() throws InterruptedException;

  /** Starts it again on its data; returns once it answers CQL at {@link #contactPoint()}. */
  void restart();

  /** Drops the keyspaces whose names start with {@code prefix}, so that runs of many trials stay small. */
  void dropKeyspaces(String prefix);
}
