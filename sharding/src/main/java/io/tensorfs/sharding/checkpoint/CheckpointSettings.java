package io.tensorfs.sharding.checkpoint;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The checkpoint settings, read once from {@code tensorfs.checkpoints}.
 *
 * @param partSizeBytes an item is stored as files of this many bytes (its last one shorter); a part is
 *                      acknowledged, and a cut-off save resumes, at part boundaries
 * @param askTimeout    how long a call waits for a job's entity before failing UNAVAILABLE
 */
public record CheckpointSettings(int partSizeBytes, Duration askTimeout) {
  public static final int MIN_PART_BYTES = 64 * 1024;
  public static final int MAX_PART_BYTES = 256 << 20;

  public CheckpointSettings {
    if (partSizeBytes < MIN_PART_BYTES || partSizeBytes > MAX_PART_BYTES) {
      throw new IllegalArgumentException("tensorfs.checkpoints.part-size must be 64 KiB to 256 MiB, not " + partSizeBytes);
    }
    if (askTimeout.isNegative() || askTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.checkpoints.ask-timeout must be positive");
    }
  }

  public static CheckpointSettings from(Config config) {
    Config c = config.getConfig("tensorfs.checkpoints");
    return new CheckpointSettings((int) Math.min(Integer.MAX_VALUE, c.getBytes("part-size")),
        c.getDuration("ask-timeout"));
  }
}
