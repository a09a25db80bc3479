package io.tensorfs.store;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How a store's scan at start judges what it finds, read once from {@code tensorfs.store.reconcile} and
 * validated. Immutable.
 *
 * <p>The scan never removes bytes it cannot prove unwanted. While the metadata cannot answer, it asks again
 * after a backoff that doubles from {@code retryMin} to {@code retryMax}, for at most {@code patience} per
 * file version (then it keeps the bytes, to be judged at the next start). A version the metadata disowns (an
 * abandoned upload, or one it has no record of) is removed only once its newest file is older than
 * {@code orphanGrace}: a seal the metadata lost must not take the bytes with it; younger ones are judged
 * again when the grace has passed.
 *
 * @param orphanGrace how old the newest file of a disowned version must be before its bytes are removed
 * @param retryMin    first wait before asking an unreachable metadata again
 * @param retryMax    longest wait between two asks
 * @param patience    how long one version's judgement waits for the metadata before it is left for later
 */
public record ReconcileSettings(Duration orphanGrace, Duration retryMin, Duration retryMax, Duration patience) {

  private static final String SECTION = StoreSettings.SECTION + ".reconcile";

  public ReconcileSettings {
    positive("orphan-grace", orphanGrace);
    positive("metadata-retry.min", retryMin);
    positive("metadata-retry.max", retryMax);
    positive("metadata-patience", patience);
    if (retryMax.compareTo(retryMin) < 0) {
      throw new IllegalArgumentException(SECTION + ".metadata-retry.max (" + retryMax
          + ") is below metadata-retry.min (" + retryMin + ")");
    }
  }

  /** Reads and validates {@code tensorfs.store.reconcile}. Throws IllegalArgumentException. */
  public static ReconcileSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    return new ReconcileSettings(c.getDuration("orphan-grace"), c.getDuration("metadata-retry.min"),
        c.getDuration("metadata-retry.max"), c.getDuration("metadata-patience"));
  }

  /** The defaults of {@code reference.conf}: a start for tests. */
  public static ReconcileSettings defaults() {
    return new ReconcileSettings(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofSeconds(30),
        Duration.ofMinutes(5));
  }

  /** The wait before ask number {@code attempt + 1}, after {@code attempt} (from 1) failed. */
  public Duration retryDelay(int attempt) {
    Duration delay = retryMin;
    for (int i = 1; i < attempt && delay.compareTo(retryMax) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(retryMax) > 0 ? retryMax : delay;
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(SECTION + "." + key + " must be positive, not " + d);
    }
  }
}
