package io.tensorfs.deploy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.Locale;

/**
 * How the metadata journal is replicated in Cassandra, read once from {@code tensorfs.metadata} and validated.
 * Immutable.
 *
 * <p>The journal plugin and the driver take these as their own keys ({@link #applyTo}): the replication factor
 * of the journal and snapshot keyspaces, and the consistency of the driver profiles the journal, the snapshot
 * store, the event queries and the node's own statements use. A keyspace that exists keeps the replication it
 * was created with (changing it needs a repair of every replica, not a node start).
 *
 * @param replicas         Cassandra replicas of every metadata row (the keyspaces' replication factor)
 * @param readConsistency  replicas that answer a metadata read
 * @param writeConsistency replicas that acknowledge a metadata write before it counts
 * @param requestTimeout   how long the driver waits for one metadata statement
 * @param speculativeRetry with more than one replica, how long a Cassandra coordinator waits for a replica
 *                         before it asks another for the same read (the tables' {@code speculative_retry}): a
 *                         replica that just died is otherwise waited on until Cassandra convicts it
 */
public record MetadataSettings(int replicas, DefaultConsistencyLevel readConsistency,
    DefaultConsistencyLevel writeConsistency, Duration requestTimeout, Duration speculativeRetry) {

  /** The driver profile of every metadata read (journal replay, snapshots, queries). */
  public static final String READ_PROFILE = "tensorfs-metadata-read";
  /** The driver profile of every metadata write (journal events, snapshots). */
  public static final String WRITE_PROFILE = "tensorfs-metadata-write";

  private static final String SECTION = "tensorfs.metadata";
  private static final String PLUGIN = "pekko.persistence.cassandra";
  private static final String AUTO = "auto";

  public MetadataSettings {
    if (replicas < 1) {
      throw new IllegalArgumentException(SECTION + ".replicas must be at least 1, not " + replicas);
    }
    if (readConsistency == null || writeConsistency == null) {
      throw new IllegalArgumentException(SECTION + ": consistency levels are required");
    }
    positive("request-timeout", requestTimeout);
    positive("speculative-retry", speculativeRetry);
  }

  /**
   * Reads {@code tensorfs.metadata}. A consistency of {@code auto} is LOCAL_ONE with one replica (there is no
   * other) and QUORUM with more, so a read always meets the last acknowledged write.
   */
  public static MetadataSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    int replicas = c.getInt("replicas");
    return new MetadataSettings(replicas, level(c, "read-consistency", replicas),
        level(c, "write-consistency", replicas), c.getDuration("request-timeout"), c.getDuration("speculative-retry"));
  }

  /** {@code config} with the journal plugin's and the driver's keys set from these settings. */
  public Config applyTo(Config config) {
    Config set = ConfigFactory.empty();
    for (String store : new String[] {"journal", "snapshot"}) {
      set = set.withValue(PLUGIN + "." + store + ".replication-factor", ConfigValueFactory.fromAnyRef(replicas));
    }
    // The journal takes the plugin's top-level profiles; the snapshot store and the queries their own.
    for (String at : new String[] {PLUGIN, PLUGIN + ".snapshot"}) {
      set = set.withValue(at + ".read-profile", ConfigValueFactory.fromAnyRef(READ_PROFILE))
          .withValue(at + ".write-profile", ConfigValueFactory.fromAnyRef(WRITE_PROFILE));
    }
    set = set.withValue(PLUGIN + ".query.read-profile", ConfigValueFactory.fromAnyRef(READ_PROFILE))
        .withValue(profile(READ_PROFILE, "consistency"), ConfigValueFactory.fromAnyRef(readConsistency.name()))
        .withValue(profile(WRITE_PROFILE, "consistency"), ConfigValueFactory.fromAnyRef(writeConsistency.name()))
        // The journal and snapshot statements can be retried safely (no counters, no collections).
        .withValue(profile(READ_PROFILE, "timeout"), ConfigValueFactory.fromAnyRef(requestTimeout.toMillis() + "ms"))
        .withValue(profile(WRITE_PROFILE, "timeout"), ConfigValueFactory.fromAnyRef(requestTimeout.toMillis() + "ms"))
        .withValue(profile(READ_PROFILE, "default-idempotence"), ConfigValueFactory.fromAnyRef(true))
        .withValue(profile(WRITE_PROFILE, "default-idempotence"), ConfigValueFactory.fromAnyRef(true))
        // Statements outside a profile (the schema, the plugin's own reads of its tables) go with the writes.
        .withValue("datastax-java-driver.basic.request.consistency", ConfigValueFactory.fromAnyRef(writeConsistency.name()));
    return set.withFallback(config).resolve();
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(SECTION + "." + key + " must be positive, not " + d);
    }
  }

  private static String profile(String name, String key) {
    return "datastax-java-driver.profiles." + name + ".basic.request." + key;
  }

  private static DefaultConsistencyLevel level(Config c, String key, int replicas) {
    String text = c.getString(key).trim().toUpperCase(Locale.ROOT);
    if (text.equalsIgnoreCase(AUTO)) {
      return replicas == 1 ? DefaultConsistencyLevel.LOCAL_ONE : DefaultConsistencyLevel.QUORUM;
    }
    try {
      DefaultConsistencyLevel level = DefaultConsistencyLevel.valueOf(text);
      if (level.isSerial() || level == DefaultConsistencyLevel.ANY) {
        throw new IllegalArgumentException(SECTION + "." + key + " cannot be " + level + " for metadata");
      }
      return level;
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(SECTION)) throw e;
      throw new IllegalArgumentException(SECTION + "." + key + " must be auto or a consistency level such as"
          + " LOCAL_ONE, ONE, QUORUM, LOCAL_QUORUM or ALL, not '" + c.getString(key) + "'");
    }
  }
}
