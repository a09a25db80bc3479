package io.tensorfs.store.scrub;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * The scrubber's metrics of one store, tagged with its id: blocks and bytes verified, corrupt replicas
 * found, passes ended. Thread-safe.
 */
final class ScrubMetrics {
  final Counter blocks;
  final Counter bytes;
  final Counter corrupt;
  final Counter passes;

  ScrubMetrics(String storeId) {
    Tags tags = Tags.of("store", storeId);
    blocks = Metrics.counter("tensorfs.store.scrub-blocks", "Checksum blocks the scrubber read and verified",
        Unit.NONE, tags);
    bytes = Metrics.counter("tensorfs.store.scrub-read", "Bytes the scrubber read and verified", Unit.BYTES, tags);
    corrupt = Metrics.counter("tensorfs.store.scrub-corrupt", "Replicas the scrubber found corrupt", Unit.NONE, tags);
    passes = Metrics.counter("tensorfs.store.scrub-passes", "Scrub passes over the store that ended", Unit.NONE, tags);
  }
}
