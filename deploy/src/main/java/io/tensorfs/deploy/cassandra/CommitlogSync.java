package io.tensorfs.deploy.cassandra;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * When the embedded Cassandra forces its commit log to disk, relative to answering a write.
 *
 * <ul>
 *   <li>{@link Mode#BATCH} (the default): a write is answered only after the commit log holding it was synced;
 *       the sync thread is woken by each write and one fsync covers every write that arrived meanwhile, so
 *       concurrent writers share syncs and a lone writer waits for one fsync only.</li>
 *   <li>{@link Mode#GROUP}: also synced before the answer, but syncs are at most one per {@code window}: a
 *       write waits for the next window's sync (fewer fsyncs under heavy load, more latency per write).</li>
 *   <li>{@link Mode#PERIODIC}: answered at once, synced every {@code window}: a power loss loses up to that
 *       much acknowledged metadata. Only for benchmarks and throw-away clusters.</li>
 * </ul>
 *
 * <p>Immutable; any thread.
 *
 * @param mode   the Cassandra {@code commitlog_sync} mode
 * @param window the group window ({@link Mode#GROUP}) or sync period ({@link Mode#PERIODIC}); ignored by batch
 */
public record CommitlogSync(Mode mode, Duration window) {

  /** The Cassandra {@code commitlog_sync} modes. */
  public enum Mode { BATCH, GROUP, PERIODIC }

  /** Sync before answering, one fsync for all writes that arrived during the previous one. */
  public static final CommitlogSync BATCH = new CommitlogSync(Mode.BATCH, Duration.ZERO);

  public CommitlogSync {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(window, "window");
    if (mode != Mode.BATCH && (window.isNegative() || window.isZero())) {
      throw new IllegalArgumentException("commit log " + mode.name().toLowerCase(Locale.ROOT)
          + " mode needs a positive window, not " + window);
    }
  }

  /**
   * Parses {@code batch}, {@code group:15ms} or {@code periodic:10s} (window in ms or s); a bare {@code group}
   * takes a 2 ms window and a bare {@code periodic} Cassandra's usual 10 s.
   */
  public static CommitlogSync parse(String text) {
    String[] parts = text.trim().toLowerCase(Locale.ROOT).split(":", 2);
    Mode mode = switch (parts[0]) {
      case "batch" -> Mode.BATCH;
      case "group" -> Mode.GROUP;
      case "periodic" -> Mode.PERIODIC;
      default -> throw new IllegalArgumentException(
          "commit log sync must be batch, group[:WINDOW] or periodic[:PERIOD], not '" + text + "'");
    };
    if (mode == Mode.BATCH) {
      if (parts.length > 1) throw new IllegalArgumentException("batch mode takes no window: '" + text + "'");
      return BATCH;
    }
    Duration window = parts.length > 1 ? parseWindow(parts[1], text)
        : mode == Mode.GROUP ? Duration.ofMillis(2) : Duration.ofSeconds(10);
    return new CommitlogSync(mode, window);
  }

  /** Whether a write is answered only once its commit log entry is on disk. */
  public boolean syncsBeforeAnswer() {
    return mode != Mode.PERIODIC;
  }

  /** The lines of {@code cassandra.yaml} that set this mode, without a final line break. */
  String yaml() {
    return switch (mode) {
      case BATCH -> "commitlog_sync: batch";
      case GROUP -> "commitlog_sync: group\ncommitlog_sync_group_window: " + window.toMillis() + "ms";
      case PERIODIC -> "commitlog_sync: periodic\ncommitlog_sync_period: " + window.toMillis() + "ms";
    };
  }

  @Override
  public String toString() {
    String name = mode.name().toLowerCase(Locale.ROOT);
    return mode == Mode.BATCH ? name : name + ":" + window.toMillis() + "ms";
  }

  private static Duration parseWindow(String value, String text) {
    try {
      if (value.endsWith("ms")) return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
      if (value.endsWith("s")) return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException("commit log window must look like 2ms or 10s, not '" + text + "'");
  }
}
