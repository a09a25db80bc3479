package io.tensorfs.deploy.cassandra;

import java.net.InetSocketAddress;

/**
 * A Cassandra JVM that answers CQL.
 *
 * @param pid     the operating system process id of its JVM
 * @param cqlPort its CQL port on 127.0.0.1
 */
public record CassandraInstance(long pid, int cqlPort) {

  public static final String HOST = "127.0.0.1";

  public InetSocketAddress cqlAddress() {
    return new InetSocketAddress(HOST, cqlPort);
  }

  /** {@code 127.0.0.1:<port>}, the form NodeMain's {@code --cassandra} option takes. */
  public String contactPoint() {
    return HOST + ":" + cqlPort;
  }
}
