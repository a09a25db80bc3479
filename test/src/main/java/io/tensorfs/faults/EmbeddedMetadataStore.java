package io.tensorfs.faults;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tensorfs.deploy.cassandra.CassandraInstance;
import io.tensorfs.deploy.cassandra.EmbeddedCassandra;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link MetadataStore} over the embedded Cassandra of the one-machine default, run from its jars. */
public final class EmbeddedMetadataStore implements MetadataStore {
  private final EmbeddedCassandra cassandra;
  private CassandraInstance instance;

  /** @param instance the running Cassandra that {@code cassandra} started */
  public EmbeddedMetadataStore(EmbeddedCassandra cassandra, CassandraInstance instance) {
    this.cassandra = cassandra;
    this.instance = instance;
  }

  @Override
  public String contactPoint() {
    return instance.contactPoint();
  }

  @Override
  public void kill() throws InterruptedException {
    ProcessHandle process = ProcessHandle.of(instance.pid())
        .orElseThrow(() -> new IllegalStateException("Cassandra pid " + instance.pid() + " is not running"));
    process.destroyForcibly();
    try {
      process.onExit().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Cassandra pid " + instance.pid() + " survived SIGKILL", e);
    }
  }

  @Override
  public void restart() {
    CassandraInstance fresh = cassandra.start();
    if (fresh.cqlPort() != instance.cqlPort()) {
      throw new IllegalStateException("Cassandra came back on " + fresh.contactPoint() + ", not "
          + instance.contactPoint() + " (its port was taken meanwhile): the nodes cannot find it");
    }
    instance = fresh;
  }

  @Override
  public void dropKeyspaces(String prefix) {
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
        .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
        .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false)
        .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
        .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
        .build();
    try (CqlSession session = CqlSession.builder()
        .addContactPoint(new InetSocketAddress(CassandraInstance.HOST, instance.cqlPort()))
        .withLocalDatacenter("datacenter1")
        .withConfigLoader(config)
        .build()) {
      List<String> names = new ArrayList<>();
      for (Row r : session.execute("SELECT keyspace_name FROM system_schema.keyspaces")) {
        String name = r.getString("keyspace_name");
        if (name != null && name.startsWith(prefix)) names.add(name);
      }
      for (String name : names) session.execute("DROP KEYSPACE IF EXISTS " + name);
    }
  }
}
