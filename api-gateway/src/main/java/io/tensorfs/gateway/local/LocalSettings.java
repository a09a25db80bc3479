package io.tensorfs.gateway.local;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the local channel, read once from {@code tensorfs.local} and validated.
 *
 * @param enabled              whether AttachLocal is served
 * @param idleStrategy         {@code backoff}, {@code busy-spin} or {@code sleeping}
 * @param maxParkNs            longest park of an idle agent, in nanoseconds
 * @param livenessIntervalNs   how often each client's process is checked, in nanoseconds
 * @param heartbeatIntervalNs  how often the node stamps each header's heartbeat, in nanoseconds
 * @param maxChannels          channels attached at once
 * @param inlineReadMaxBytes   largest read of resident pages copied on the agent thread itself
 */
public record LocalSettings(
    boolean enabled,
    String idleStrategy,
    long maxParkNs,
    long livenessIntervalNs,
    long heartbeatIntervalNs,
    int maxChannels,
    long inlineReadMaxBytes) {

  public static final String SECTION = "tensorfs.local";

  public LocalSettings {
    if (!idleStrategy.equals("backoff") && !idleStrategy.equals("busy-spin") && !idleStrategy.equals("sleeping")) {
      throw new IllegalArgumentException(SECTION + ".idle-strategy must be backoff, busy-spin or sleeping, not '"
          + idleStrategy + "'");
    }
    if (maxParkNs < 1_000) throw new IllegalArgumentException(SECTION + ".max-park must be at least 1us");
    if (livenessIntervalNs < 1_000_000) throw new IllegalArgumentException(SECTION + ".liveness-interval must be at least 1ms");
    if (heartbeatIntervalNs < 1_000_000) throw new IllegalArgumentException(SECTION + ".heartbeat-interval must be at least 1ms");
    if (maxChannels < 1) throw new IllegalArgumentException(SECTION + ".max-channels must be >= 1");
    if (inlineReadMaxBytes < 0) throw new IllegalArgumentException(SECTION + ".inline-read-max must be >= 0");
  }

  public static LocalSettings fromConfig(Config root) {
    Config c = root.getConfig(SECTION);
    return new LocalSettings(
        c.getBoolean("enabled"),
        c.getString("idle-strategy"),
        nanos(c.getDuration("max-park")),
        nanos(c.getDuration("liveness-interval")),
        nanos(c.getDuration("heartbeat-interval")),
        c.getInt("max-channels"),
        c.getBytes("inline-read-max"));
  }

  private static long nanos(Duration d) {
    return d.toNanos();
  }
}
