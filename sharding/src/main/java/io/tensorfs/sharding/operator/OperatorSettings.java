package io.tensorfs.sharding.operator;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the node's operator, read once from {@code tensorfs.operator} and validated. Immutable.
 *
 * @param readAheadSegments    store segments in flight while a read goes past a full cache
 * @param writeBatchBytes      upload bytes gathered while the store writes, handed over in one append
 * @param remoteCollectDelay   how long other nodes keep a replaced or deleted version's bytes, so reads
 *                             of it fetching from them can end
 * @param statusAttempts       asks of a file's or chunk's entity before a read gives up on it (each
 *                             waits the metadata's ask timeout); more than one rides out an entity moving
 * @param findTimeout          how long a look-up of the other nodes' stores and caches in the
 *                             Receptionist may take
 * @param hintTimeout          how long a cache hint (a willneed warms whole files) may take on a node
 * @param readAhead            chunks one read keeps in flight (loading or loaded and not yet taken by its
 *                             sink): what bounds the memory a read holds, to this many chunks
 */
public record OperatorSettings(
    int readAheadSegments,
    int writeBatchBytes,
    Duration remoteCollectDelay,
    int statusAttempts,
    Duration findTimeout,
    Duration hintTimeout,
    int readAhead) {

  public OperatorSettings {
    if (readAheadSegments < 1) throw new IllegalArgumentException("tensorfs.operator.read-ahead-segments must be >= 1");
    if (writeBatchBytes < 1) throw new IllegalArgumentException("tensorfs.operator.write-batch must be positive");
    if (remoteCollectDelay.isNegative()) {
      throw new IllegalArgumentException("tensorfs.operator.remote-collect-delay must not be negative");
    }
    if (statusAttempts < 1) throw new IllegalArgumentException("tensorfs.operator.status-attempts must be >= 1");
    if (!positive(findTimeout)) throw new IllegalArgumentException("tensorfs.operator.find-timeout must be positive");
    if (!positive(hintTimeout)) throw new IllegalArgumentException("tensorfs.operator.hint-timeout must be positive");
    if (readAhead < 1) throw new IllegalArgumentException("tensorfs.operator.read-ahead must be >= 1");
  }

  public static OperatorSettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.operator");
    return new OperatorSettings(
        c.getInt("read-ahead-segments"),
        Math.toIntExact(c.getBytes("write-batch")),
        c.getDuration("remote-collect-delay"),
        c.getInt("status-attempts"),
        c.getDuration("find-timeout"),
        c.getDuration("hint-timeout"),
        c.getInt("read-ahead"));
  }

  private static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }
}
