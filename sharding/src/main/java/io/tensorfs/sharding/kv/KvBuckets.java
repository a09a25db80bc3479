package io.tensorfs.sharding.kv;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The KV index buckets running on this node, by entity id: each {@link KvIndexEntity} registers its
 * {@link KvBucket} as it starts and removes it as it stops, so that callers on this node reach a local
 * bucket with a method call instead of three actor hops. Thread-safe.
 */
public final class KvBuckets {
  private final ConcurrentHashMap<String, KvBucket> running = new ConcurrentHashMap<>();

  /** The bucket {@code id} if it runs on this node, else null. */
  public KvBucket local(String id) {
    return running.get(id);
  }

  void started(String id, KvBucket bucket) {
    running.put(id, bucket);
  }

  void stopped(String id, KvBucket bucket) {
    running.remove(id, bucket);
  }
}
