package io.tensorfs.sharding;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The read demand on one chunk as its nodes report it, and the number of in-memory replicas it calls
 * for: {@code ceil(reads per second / reads-per-replica)} within {@code [min, max]}. The count rises as
 * soon as demand does and falls only after demand has stayed lower for {@code cool-after}, so a pause
 * between bursts does not release replicas that are wanted again a moment later.
 *
 * <p>Not thread-safe: owned by one chunk entity. Times are {@code System.nanoTime()} values.
 */
public final class ReadDemand {
  private final ElasticSettings settings;
  private final Map<String, Sample> byNode = new HashMap<>();
  private int wanted;
  private long lowerSince = -1;

  private record Sample(double readsPerSecond, long atNanos) {}

  public ReadDemand(ElasticSettings settings, int min) {
    this.settings = settings;
    this.wanted = min;
  }

  /** {@code node} served {@code reads} reads of the chunk over the last {@code windowMillis}. */
  public void report(String node, long reads, long windowMillis, long now) {
    byNode.put(node, new Sample(reads * 1000.0 / Math.max(1, windowMillis), now));
  }

  /** Reads per second now: the sum of the nodes' latest reports that are still fresh. */
  public double readsPerSecond(long now) {
    forgetStale(now);
    return byNode.values().stream().mapToDouble(Sample::readsPerSecond).sum();
  }

  /** The nodes reading the chunk now, most reads first. */
  public List<String> readers(long now) {
    forgetStale(now);
    List<String> out = new ArrayList<>(byNode.keySet());
    out.sort(Comparator.comparingDouble((String n) -> -byNode.get(n).readsPerSecond()).thenComparing(n -> n));
    return out;
  }

  /** The in-memory replicas wanted now, revised by the demand. */
  public int wanted(long now, int min, int max) {
    double rate = readsPerSecond(now);
    int target = (int) Math.min(max, Math.max(min, Math.ceil(rate / settings.readsPerReplica())));
    if (target >= wanted) {
      wanted = target;
      lowerSince = -1;
    } else if (lowerSince < 0) {
      lowerSince = now;
    } else if (now - lowerSince >= settings.coolAfter().toNanos()) {
      wanted = target;
      lowerSince = -1;
    }
    return wanted;
  }

  /** The count last decided, without revising it. */
  public int wanted() {
    return wanted;
  }

  /** Whether any node reported reads recently. */
  public boolean active(long now) {
    forgetStale(now);
    return !byNode.isEmpty();
  }

  /** A report older than two intervals (and a bit) is from a node that stopped reading. */
  private void forgetStale(long now) {
    long maxAge = settings.reportInterval().multipliedBy(2).toNanos() + settings.reportInterval().toNanos() / 2;
    byNode.values().removeIf(s -> now - s.atNanos() > maxAge);
  }
}
