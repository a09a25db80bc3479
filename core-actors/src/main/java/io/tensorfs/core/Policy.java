package io.tensorfs.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a file is kept (DESIGN.md, data model). Immutable; journaled in file and chunk events.
 *
 * <p>{@code minInsync} is how many replicas must hold a chunk durably before a write of it is acknowledged:
 * {@code persistent(r,m)} wants {@code r} replicas and acknowledges with {@code m} (the others are repaired
 * later). A {@code cache(min,max)} file is persistent underneath and gets the same default, 2 of 3;
 * {@code kvcache} is 1 of 1 and never durable. The number a write really waits for is capped by the nodes
 * that can hold replicas ({@link #effectiveMinInsync}).
 *
 * @param kind      persistent, kvcache or cache
 * @param replicas  durable replicas wanted: 3 for persistent and cache, 1 for kvcache
 * @param cacheMin  in-memory replicas kept at least (cache only, else 0)
 * @param cacheMax  in-memory replicas allowed under read demand (cache only, else 0)
 * @param minInsync replicas that must be durable before a write is acknowledged, {@code 1..replicas}; 0 given
 *     here means the default of the kind ({@link #DEFAULT_MIN_INSYNC} capped at {@code replicas}, 1 for
 *     kvcache). A policy journaled before this field existed has none, reads as 0, and so gets the default.
 */
public record Policy(Kind kind, int replicas, int cacheMin, int cacheMax, int minInsync) implements CborSerializable {
  public enum Kind { PERSISTENT, KVCACHE, CACHE }

  /** Durable replicas a persistent write waits for unless its policy says otherwise. */
  public static final int DEFAULT_MIN_INSYNC = 2;
  /** The most replicas a policy may ask for. */
  public static final int MAX_REPLICAS = 16;

  public static final Policy PERSISTENT = new Policy(Kind.PERSISTENT, 3, 0, 0, DEFAULT_MIN_INSYNC);
  public static final Policy KVCACHE = new Policy(Kind.KVCACHE, 1, 0, 0, 1);
  public static final Policy CACHE = new Policy(Kind.CACHE, 3, 1, 4, DEFAULT_MIN_INSYNC);

  private static final Pattern PERSISTENT_RM = Pattern.compile("persistent\\((\\d{1,2}),(\\d{1,2})\\)");
  private static final Pattern CACHE_MIN_MAX = Pattern.compile("cache\\((\\d{1,3}),(\\d{1,3})\\)");

  public Policy {
    if (kind == null || replicas < 1 || replicas > MAX_REPLICAS || cacheMin < 0 || cacheMax < cacheMin) {
      throw new IllegalArgumentException("bad policy");
    }
    if (minInsync == 0) minInsync = kind == Kind.KVCACHE ? 1 : Math.min(DEFAULT_MIN_INSYNC, replicas);
    if (minInsync < 1 || minInsync > replicas) {
      throw new IllegalArgumentException("min-insync " + minInsync + " is not within 1.." + replicas);
    }
  }

  /**
   * Parses {@code persistent} (= {@code persistent(3,2)}), {@code persistent(r,m)} with
   * {@code 1 <= m <= r <= 16}, {@code kvcache}, {@code cache} (= {@code cache(1,4)}) or
   * {@code cache(min,max)}. Anything else is BAD_REQUEST.
   */
  public static Policy parse(String text) {
    if (text == null || text.isEmpty() || text.equals("persistent")) return PERSISTENT;
    if (text.equals("kvcache")) return KVCACHE;
    if (text.equals("cache")) return CACHE;
    Matcher p = PERSISTENT_RM.matcher(text);
    if (p.matches()) {
      int r = Integer.parseInt(p.group(1));
      int m = Integer.parseInt(p.group(2));
      if (r >= 1 && r <= MAX_REPLICAS && m >= 1 && m <= r) return new Policy(Kind.PERSISTENT, r, 0, 0, m);
      throw new TfsException(ErrorCode.BAD_REQUEST, "bad policy '" + text
          + "': persistent(r,m) needs 1 <= m <= r <= " + MAX_REPLICAS + " (r replicas, m of them durable before the write is acknowledged)");
    }
    Matcher c = CACHE_MIN_MAX.matcher(text);
    if (c.matches()) {
      int min = Integer.parseInt(c.group(1));
      int max = Integer.parseInt(c.group(2));
      if (min >= 1 && max >= min) return new Policy(Kind.CACHE, 3, min, max, DEFAULT_MIN_INSYNC);
    }
    throw new TfsException(ErrorCode.BAD_REQUEST,
        "unknown policy '" + text + "': use persistent, persistent(r,m), kvcache, cache or cache(min,max)");
  }

  /** Whether a write must be durable (fsynced) on its replicas before it is acknowledged. */
  public boolean durable() {
    return kind != Kind.KVCACHE;
  }

  /**
   * The durable replicas a write of this policy waits for in a cluster where {@code replicaNodes} nodes can
   * hold replicas: {@link #minInsync}, capped at that count (a cluster of one acknowledges with one), and at
   * least 1. See the node count's rule where it is kept ({@code Peers.replicaNodes()} in sharding).
   */
  public int effectiveMinInsync(int replicaNodes) {
    return Math.max(1, Math.min(minInsync, replicaNodes));
  }

  /**
   * The name a user writes, which {@link #parse} reads back to an equal policy: {@code persistent} (for
   * {@code persistent(3,2)}), {@code persistent(r,m)}, {@code kvcache}, {@code cache(min,max)}.
   */
  public String text() {
    return switch (kind) {
      case PERSISTENT -> equals(PERSISTENT) ? "persistent" : "persistent(" + replicas + "," + minInsync + ")";
      case KVCACHE -> "kvcache";
      case CACHE -> "cache(" + cacheMin + "," + cacheMax + ")";
    };
  }
}
