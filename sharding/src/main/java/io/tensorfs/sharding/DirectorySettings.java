package io.tensorfs.sharding;

import com.typesafe.config.Config;

/**
 * How directories keep their names, read once from {@code tensorfs.sharding.directories}. Immutable.
 *
 * @param store      {@code cassandra} (the node's: the metadata keyspace) or {@code memory} (tests only)
 * @param batchMax   changes one directory writes at most in one statement
 * @param cacheNames names each active directory entity remembers (so re-linking ancestors reads nothing)
 */
public record DirectorySettings(String store, int batchMax, int cacheNames) {
  public static final String CASSANDRA = "cassandra";
  public static final String MEMORY = "memory";

  public DirectorySettings {
    if (!store.equals(CASSANDRA) && !store.equals(MEMORY)) {
      throw new IllegalArgumentException("tensorfs.sharding.directories.store must be cassandra or memory, not " + store);
    }
    if (batchMax < 1) throw new IllegalArgumentException("tensorfs.sharding.directories.batch-max must be positive");
    if (cacheNames < 0) throw new IllegalArgumentException("tensorfs.sharding.directories.cache-names must be >= 0");
  }

  public static DirectorySettings from(Config config) {
    Config c = config.getConfig("tensorfs.sharding.directories");
    return new DirectorySettings(c.getString("store"), c.getInt("batch-max"), c.getInt("cache-names"));
  }
}
