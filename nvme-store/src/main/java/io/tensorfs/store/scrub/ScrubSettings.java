package io.tensorfs.store.scrub;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The scrubber's settings, read once from {@code tensorfs.store.scrub} and validated. Immutable.
 *
 * @param enabled        whether the node scrubs its stores at all
 * @param bytesPerSecond the most bytes per second the scrubber reads, all of the node's stores together
 *                       (they are scrubbed one after the other): its share of the disks' bandwidth
 * @param segmentBytes   bytes verified by one read of the store (a whole number of blocks is read)
 * @param initialDelay   wait after the node is ready before the first pass
 * @param interval       wait from the end of one pass to the start of the next
 */
public record ScrubSettings(boolean enabled, long bytesPerSecond, int segmentBytes, Duration initialDelay,
    Duration interval) {

  public static final String SECTION = "tensorfs.store.scrub";

  public ScrubSettings {
    require(bytesPerSecond > 0, "bytes-per-second must be positive, not " + bytesPerSecond);
    require(segmentBytes > 0 && segmentBytes <= 256 << 20,
        "segment-bytes must be between 1 byte and 256 MiB, not " + segmentBytes);
    require(initialDelay != null && !initialDelay.isNegative(), "initial-delay must not be negative");
    require(interval != null && !interval.isNegative() && !interval.isZero(), "interval must be positive");
  }

  /** Reads and validates {@code tensorfs.store.scrub}; throws IllegalArgumentException. */
  public static ScrubSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    long segment = c.getBytes("segment-bytes");
    require(segment <= Integer.MAX_VALUE, "segment-bytes out of range: " + segment);
    return new ScrubSettings(c.getBoolean("enabled"), c.getBytes("bytes-per-second"), (int) segment,
        c.getDuration("initial-delay"), c.getDuration("interval"));
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(SECTION + ": " + message);
  }
}
