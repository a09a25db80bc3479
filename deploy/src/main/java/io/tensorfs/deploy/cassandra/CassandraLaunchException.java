package io.tensorfs.deploy.cassandra;

/** The embedded Cassandra could not be started or stopped; the message carries the tail of its log. */
public final class CassandraLaunchException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CassandraLaunchException(String message) {
    super(message);
  }

  public CassandraLaunchException(String message, Throwable cause) {
    super(message, cause);
  }
}
