package io.tensorfs.sharding.kv;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of KV blocks, read once from {@code tensorfs.kv} and validated. Immutable.
 *
 * @param buckets               index entities per tenant; a key's bucket is its hash modulo this
 * @param bucketEntries         most keys one bucket remembers; past it the oldest is forgotten
 * @param memoryBytes           bytes of blocks this node holds at most; past it the least recently used go
 * @param maxBlocks             blocks this node holds at most
 * @param maxBlockBytes         largest block accepted by a put
 * @param askTimeout            how long a call to an index bucket waits; past it UNAVAILABLE
 */
public record KvSettings(int buckets, int bucketEntries, long memoryBytes, int maxBlocks, long maxBlockBytes,
    Duration askTimeout) {

  public KvSettings {
    if (buckets < 1) throw new IllegalArgumentException("tensorfs.kv.buckets must be >= 1");
    if (bucketEntries < 1) throw new IllegalArgumentException("tensorfs.kv.bucket-entries must be >= 1");
    if (memoryBytes < 1) throw new IllegalArgumentException("tensorfs.kv.memory must be positive");
    if (maxBlocks < 1) throw new IllegalArgumentException("tensorfs.kv.max-blocks must be >= 1");
    if (maxBlockBytes < 1 || maxBlockBytes > memoryBytes) {
      throw new IllegalArgumentException("tensorfs.kv.max-block must be positive and at most tensorfs.kv.memory");
    }
    if (askTimeout.isNegative() || askTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.kv.ask-timeout must be positive");
    }
  }

  public static KvSettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.kv");
    return new KvSettings(c.getInt("buckets"), c.getInt("bucket-entries"), c.getBytes("memory"),
        c.getInt("max-blocks"), c.getBytes("max-block"), c.getDuration("ask-timeout"));
  }
}
