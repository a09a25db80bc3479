package io.tensorfs.deploy.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks a Cassandra node whether it serves CQL, the way a client would: open a session and read
 * {@code release_version} from {@code system.local}.
 *
 * <p>Blocks the calling thread for at most a few seconds; for launchers and tests, never an actor.
 */
final class CqlProbe {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  /** The longest a session may take to open, whatever the driver's own steps do. */
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(20);

  private CqlProbe() {
  }

  /** The node's release version, or empty when nothing answers CQL on {@code address} yet. */
  static Optional<String> releaseVersion(InetSocketAddress address) {
    if (!acceptsConnections(address)) {
      return Optional.empty();
    }
    try (CqlSession session = openSession(address)) {
      Row row = session.execute("SELECT release_version FROM system.local").one();
      return Optional.ofNullable(row).map(r -> r.getString("release_version"));
    } catch (RuntimeException notReady) {
      return Optional.empty();
    }
  }

  /** A session for tools and tests: one contact point, no schema metadata, short timeouts. */
  static CqlSession openSession(InetSocketAddress address) {
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, CONNECT_TIMEOUT)
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, REQUEST_TIMEOUT)
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, REQUEST_TIMEOUT)
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, REQUEST_TIMEOUT)
        .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
        .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
        // Netty's default quiet period makes every close() take two seconds.
        .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
        .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
        .build();
    CompletableFuture<CqlSession> session = CqlSession.builder()
        .addContactPoint(address)
        .withLocalDatacenter(CassandraConfigFiles.DATACENTER)
        .withConfigLoader(config)
        .buildAsync()
        .toCompletableFuture();
    try {
      return session.get(SESSION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // Something answers on the port but not as Cassandra (seen: a socket connected to itself): give up.
      session.thenAccept(CqlSession::closeAsync);
      throw new IllegalStateException("no CQL session with " + address + " within " + SESSION_TIMEOUT.toSeconds() + " s", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      session.thenAccept(CqlSession::closeAsync);
      throw new IllegalStateException("interrupted while opening a CQL session with " + address, e);
    }
  }

  /** A plain TCP connect first: far cheaper than a driver session while the port is still closed. */
  private static boolean acceptsConnections(InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
