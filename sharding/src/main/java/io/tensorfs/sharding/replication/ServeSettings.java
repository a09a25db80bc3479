package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;

/**
 * How this node serves a fetch of a chunk it holds on disk but not in its cache
 * ({@code tensorfs.sharding.serve}): read O_DIRECT in segments of {@code segmentBytes} into direct buffers lent
 * to the transport, {@code inFlight} of them at once per fetch, {@code readsPerStore} at once per store over
 * all fetches. Immutable.
 *
 * @param segmentBytes  bytes of one disk read (a multiple of 4 KiB)
 * @param inFlight      disk reads one fetch keeps in flight at most
 * @param readsPerStore disk reads for fetches one store has at the disk at once at most (one more opens its
 *                      replica beside them, the rest wait in the order asked); a read leaves the disk when its
 *                      bytes are off it, before they are checked
 */
public record ServeSettings(int segmentBytes, int inFlight, int readsPerStore) {
  /** The {@code reference.conf} values, for services built without a config. */
  public static final ServeSettings DEFAULTS = new ServeSettings(4 << 20, 1, 1);

  public ServeSettings {
    if (segmentBytes < 4096 || segmentBytes % 4096 != 0) {
      throw new IllegalArgumentException("tensorfs.sharding.serve.segment-bytes must be a multiple of 4 KiB, not "
          + segmentBytes);
    }
    if (inFlight < 1) {
      throw new IllegalArgumentException("tensorfs.sharding.serve.in-flight must be at least 1, not " + inFlight);
    }
    if (readsPerStore < 1) {
      throw new IllegalArgumentException("tensorfs.sharding.serve.reads-per-store must be at least 1, not " + readsPerStore);
    }
  }

  /** Reads per store as many as the store's threads take (none wait here). */
  public ServeSettings(int segmentBytes, int inFlight) {
    this(segmentBytes, inFlight, Integer.MAX_VALUE);
  }

  public static ServeSettings from(Config config) {
    Config c = config.getConfig("tensorfs.sharding.serve");
    long segment = c.getBytes("segment-bytes");
    if (segment > 1L << 30) {
      throw new IllegalArgumentException("tensorfs.sharding.serve.segment-bytes must be at most 1 GiB, not " + segment);
    }
    return new ServeSettings((int) segment, c.getInt("in-flight"), c.getInt("reads-per-store"));
  }
}
