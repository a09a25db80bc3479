package io.tensorfs.sharding.admin;

import io.tensorfs.core.CborSerializable;
import java.util.List;

/**
 * A node's recent samples for the console's charts, oldest first.
 *
 * @param intervalSeconds seconds between samples
 * @param windowSeconds   the span asked for
 */
public record MetricSeries(String nodeId, double intervalSeconds, long windowSeconds, List<MetricSample> samples)
    implements CborSerializable {}
