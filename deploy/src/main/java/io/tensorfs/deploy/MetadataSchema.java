package io.tensorfs.deploy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.cassandra.KeyspaceAndTableStatements;
import org.apache.pekko.persistence.cassandra.PluginSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata journal's keyspaces and tables in Cassandra, created by the node before anything reads or
 * writes metadata. The journal plugin's own auto-create is off (application.conf): it tries once, with
 * the plugin's short request timeout, and a keyspace that was not created then (a busy Cassandra takes
 * seconds per schema change) stays missing for the life of the process. Here every statement has a long
 * timeout, and the node retries the whole set until it succeeds; each is {@code IF NOT EXISTS}, so nodes
 * starting together and restarts are harmless. A keyspace that exists keeps its replication: when it differs
 * from {@code tensorfs.metadata.replicas} the node says so (raising it takes an ALTER KEYSPACE and a full
 * repair of every Cassandra node, which a node start must not do behind the operator's back).
 */
final class MetadataSchema {
  private static final Logger log = LoggerFactory.getLogger(MetadataSchema.class);
  private static final String PLUGIN = "pekko.persistence.cassandra";

  private MetadataSchema() {}

  /** Whether the metadata journal is the Cassandra plugin (not, e.g., the in-memory one of a test run). */
  static boolean inCassandra(Config config) {
    return config.getString("pekko.persistence.journal.plugin").equals(PLUGIN + ".journal");
  }

  /** Runs every create statement in order; completes when all have, or with the first failure. */
  static CompletionStage<Void> create(ActorSystem<?> system, Duration statementTimeout) {
    var classic = Adapter.toClassic(system);
    var statements = new KeyspaceAndTableStatements(classic, PLUGIN, PluginSettings.apply(classic));
    List<String> all = new ArrayList<>();
    all.add(statements.createJournalKeyspaceStatement());
    all.addAll(statements.getCreateJournalTablesStatements());
    all.add(statements.createSnapshotKeyspaceStatement());
    all.addAll(statements.getCreateSnapshotTablesStatements());
    Config config = system.settings().config();
    all.add(CassandraDirectoryStore.createTable(directoryTable(config)));
    int wanted = config.getInt(PLUGIN + ".journal.replication-factor");
    List<String> keyspaces = List.of(config.getString(PLUGIN + ".journal.keyspace"),
        config.getString(PLUGIN + ".snapshot.keyspace"));
    MetadataSettings metadata = MetadataSettings.fromConfig(config);
    List<String> alters = new ArrayList<>();
    if (metadata.replicas() > 1) {
      // The tables a recovering entity reads: a dead replica must not hold its reads up for long.
      String retry = " WITH speculative_retry = '" + metadata.speculativeRetry().toMillis() + "ms'";
      alters.add("ALTER TABLE " + keyspaces.get(0) + "." + config.getString(PLUGIN + ".journal.table") + retry);
      alters.add("ALTER TABLE " + keyspaces.get(0) + "." + config.getString(PLUGIN + ".journal.metadata-table") + retry);
      alters.add("ALTER TABLE " + keyspaces.get(1) + "." + config.getString(PLUGIN + ".snapshot.table") + retry);
      alters.add("ALTER TABLE " + directoryTable(config) + retry);
    }
    return CassandraSessionRegistry.get(system).sessionFor(PLUGIN).underlying()
        .thenCompose(session -> inOrder(session, all, 0, statementTimeout)
            .thenCompose(done -> checkReplication(session, keyspaces, wanted, statementTimeout))
            .thenCompose(done -> inOrder(session, alters, 0, statementTimeout)));
  }

  /** The keyspace-qualified table of every directory's names (in the journal's keyspace, so its replication). */
  static String directoryTable(Config config) {
    return config.getString(PLUGIN + ".journal.keyspace") + ".directory_entries";
  }

  private static CompletionStage<Void> checkReplication(CqlSession session, List<String> keyspaces, int wanted,
      Duration timeout) {
    SimpleStatement query = SimpleStatement.newInstance(
        "SELECT keyspace_name, replication FROM system_schema.keyspaces").setTimeout(timeout);
    return session.executeAsync(query).thenAccept(rows -> {
      for (Row row : rows.currentPage()) {
        if (!keyspaces.contains(row.getString("keyspace_name"))) continue;
        Map<String, String> replication = row.getMap("replication", String.class, String.class);
        String factor = replication == null ? null : replication.get("replication_factor");
        if (factor != null && !factor.equals(Integer.toString(wanted))) {
          log.warn("metadata keyspace {} has replication factor {}, not the {} of tensorfs.metadata.replicas: it"
              + " keeps {} (ALTER KEYSPACE, then repair every Cassandra node, to change it)",
              row.getString("keyspace_name"), factor, wanted, factor);
        }
      }
    });
  }

  private static CompletionStage<Void> inOrder(CqlSession session, List<String> cql, int at, Duration timeout) {
    if (at == cql.size()) return CompletableFuture.completedFuture(null);
    return session.executeAsync(SimpleStatement.newInstance(cql.get(at)).setTimeout(timeout))
        .thenCompose(done -> inOrder(session, cql, at + 1, timeout));
  }
}
