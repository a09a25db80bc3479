package io.tensorfs.faults;

/** What a trial does to the cluster while its clients write. */
public enum Fault {
  /** SIGKILL of one node picked at random, at a random moment; the node is started again. */
  NODE_KILL,
  /** SIGKILL of Cassandra at a random moment; it is started again on its data. */
  CASSANDRA_KILL
}
