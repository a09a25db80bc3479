package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;

/**
 * How a chunk is read from other nodes' replicas ({@code tensorfs.sharding.remote-read}): cut into segments
 * fetched from the replicas in turn, several at once, each going on from another replica at the byte reached
 * when the one serving it fails. Immutable.
 *
 * @param segmentBytes bytes of one segment, the unit spread over the replicas and resumed on failure
 * @param inFlight     segment fetches one read keeps in flight at most
 * @param perNode      segment fetches this node keeps in flight to one other node at most, over all reads; the
 *                     others wait their turn in the order asked ({@link NodeWindows})
 * @param rotate       whether successive chunks start at successive replicas (a file's chunks served by all its
 *                     holders) rather than every chunk at its first replica
 */
public record RemoteReadSettings(int segmentBytes, int inFlight, int perNode, boolean rotate) {
  /** {@code per-node} in {@code reference.conf}. */
  public static final int DEFAULT_PER_NODE = 16;
  /** The {@code reference.conf} values, for nodes and tests built without a config. */
  public static final RemoteReadSettings DEFAULTS = new RemoteReadSettings(4 << 20, 1, DEFAULT_PER_NODE, false);

  public RemoteReadSettings {
    if (segmentBytes < 4096) {
      throw new IllegalArgumentException("tensorfs.sharding.remote-read.segment-bytes must be at least 4 KiB, not "
          + segmentBytes);
    }
    if (inFlight < 1) {
      throw new IllegalArgumentException("tensorfs.sharding.remote-read.in-flight must be at least 1, not " + inFlight);
    }
    if (perNode < 1) {
      throw new IllegalArgumentException("tensorfs.sharding.remote-read.per-node must be at least 1, not " + perNode);
    }
  }

  /** With {@link #DEFAULT_PER_NODE} fetches per node, every chunk starting at its first replica. */
  public RemoteReadSettings(int segmentBytes, int inFlight) {
    this(segmentBytes, inFlight, DEFAULT_PER_NODE, false);
  }

  public static RemoteReadSettings from(Config config) {
    Config c = config.getConfig("tensorfs.sharding.remote-read");
    long segment = c.getBytes("segment-bytes");
    if (segment > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensorfs.sharding.remote-read.segment-bytes must be under 2 GiB, not "
          + segment);
    }
    return new RemoteReadSettings((int) segment, c.getInt("in-flight"), c.getInt("per-node"),
        c.getBoolean("rotate"));
  }
}
