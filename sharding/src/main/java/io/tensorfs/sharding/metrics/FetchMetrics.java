package io.tensorfs.sharding.metrics;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * Where the time of a read from another node goes, on both ends. The reading node: how long a fetch waits
 * for a place among the fetches it keeps in flight to that node ({@code remote-read.per-node}), then how
 * long the fetch takes. The serving node, for fetches of chunks it reads from disk: how long a segment's
 * read takes (its wait for a turn among the store's reads for fetches and in the store's queue included), then how long the bytes read stay lent to the transport (waiting
 * to be sent, then sent). A fetch served from disk takes about the read plus the lending; a holder whose
 * reads are quick and whose lending is long waits on the wire, one whose reads are slow on its disk.
 * Thread-safe.
 */
public final class FetchMetrics {
  public static final Histogram FETCH_WAIT = Metrics.histogram("tensorfs.replication.fetch-wait",
      "Time a fetch from another node's replica waits for a place among the fetches in flight to that node",
      Unit.NANOSECONDS, Tags.EMPTY);
  public static final Histogram FETCH_LATENCY = Metrics.histogram("tensorfs.replication.fetch-latency",
      "Time from a fetch from another node's replica starting to its end (its bytes in place, or its failure)",
      Unit.NANOSECONDS, Tags.EMPTY);
  public static final Histogram SERVE_READ = Metrics.histogram("tensorfs.replication.serve-read-latency",
      "Time of a disk read for a fetch another node asked, from asking (waits for a turn and in the store's queue included) to the bytes in memory",
      Unit.NANOSECONDS, Tags.EMPTY);
  public static final Histogram SERVE_LENT = Metrics.histogram("tensorfs.replication.serve-lent",
      "Time the bytes of a disk read for another node's fetch stay lent to the transport (waiting to be sent, then sent)",
      Unit.NANOSECONDS, Tags.EMPTY);

  public static final Counter SERVE_OUTSIDE_REGION = Metrics.counter("tensorfs.replication.serve-outside-region",
      "Disk reads for other nodes' fetches into buffers allocated for the one read (every slot of the serve region lent), copied onto the wire",
      Unit.NONE, Tags.EMPTY);

  private FetchMetrics() {}
}
