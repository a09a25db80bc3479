package io.tensorfs.store;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * Bytes of file reads by where they came from, as {@code tensorfs.files.served{source}}: {@code cache}
 * (pages resident when the read asked), {@code disk} (this node's stores, read into the cache for a miss or a
 * prefetch, or past it when it is full), {@code remote} (other nodes' replicas over the transport, likewise)
 * and {@code gpu} (copied into GPU memory; the GPU sink, which does not see this module, counts that series
 * under the same name). Thread-safe.
 */
public final class ServedBytes {
  private static final Counter CACHE = served("cache");
  private static final Counter DISK = served("disk");
  private static final Counter REMOTE = served("remote");

  private ServedBytes() {}

  /** A read took {@code bytes} from pages that were resident. */
  public static void fromCache(long bytes) {
    CACHE.increment(bytes);
  }

  /** A miss read {@code bytes} from {@code store}: this node's disk, or replicas on other nodes. */
  public static void fromStore(ChunkStore store, long bytes) {
    (store instanceof FileChunkStore ? DISK : REMOTE).increment(bytes);
  }

  private static Counter served(String source) {
    return Metrics.counter("tensorfs.files.served", "Bytes of file reads by source: cache (resident pages), disk (this node's stores), remote (other nodes), gpu (into GPU memory)", Unit.BYTES, Tags.of("source", source));
  }
}
