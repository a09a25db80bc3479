package io.tensorfs.sharding.admin;

import io.tensorfs.core.CborSerializable;

/**
 * One sample of a node's throughput and latency, the rates over the interval before {@code time}, read
 * from the node's own metrics ({@link io.tensorfs.core.metrics.Readings}).
 *
 * @param time                    the end of the interval, ISO-8601 UTC
 * @param readBytesPerSecond      bytes of file reads served ({@code tensorfs.files.served}, every source)
 * @param writeBytesPerSecond     bytes written through replication chains here ({@code tensorfs.replication.chain-written})
 * @param sentBytesPerSecond      bytes the transport sent to other nodes ({@code tensorfs.transport.sent})
 * @param receivedBytesPerSecond  bytes the transport received ({@code tensorfs.transport.received})
 * @param requestsPerSecond       requests the edges answered ({@code tensorfs.gateway.request-latency} count)
 * @param meanLatencyMs           their mean latency in milliseconds (0 when none)
 */
public record MetricSample(String time, double readBytesPerSecond, double writeBytesPerSecond,
    double sentBytesPerSecond, double receivedBytesPerSecond, double requestsPerSecond, double meanLatencyMs)
    implements CborSerializable {}
