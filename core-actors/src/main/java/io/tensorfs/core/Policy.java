package io.tensorfs.core;

/**
 * How a file is kept (DESIGN.md, data model).
 *
 * @param kind      persistent, kvcache or cache
 * @param replicas  durable replicas wanted: 3 for persistent and cache, 1 for kvcache
 * @param cacheMin  in-memory replicas kept at least (cache only, else 0)
 * @param cacheMax  in-memory replicas allowed under read demand (cache only, else 0)
 */
public record Policy(Kind kind, int replicas, int cacheMin, int cacheMax) implements CborSerializable {
  public enum Kind { PERSISTENT, KVCACHE, CACHE }

  public static final Policy PERSISTENT = new Policy(Kind.PERSISTENT, 3, 0, 0);
  public static final Policy KVCACHE = new Policy(Kind.KVCACHE, 1, 0, 0);
  public static final Policy CACHE = new Policy(Kind.CACHE, 3, 1, 4);

  public Policy {
    if (kind == null || replicas < 1 || cacheMin < 0 || cacheMax < cacheMin) {
      throw new IllegalArgumentException("bad policy");
    }
  }

  /** Parses {@code persistent}, {@code kvcache}, {@code cache} or {@code cache(min,max)}. */
  public static Policy parse(String text) {
    if (text == null || text.isEmpty() || text.equals("persistent")) return PERSISTENT;
    if (text.equals("kvcache")) return KVCACHE;
    if (text.equals("cache")) return CACHE;
    var m = java.util.regex.Pattern.compile("cache\\((\\d{1,3}),(\\d{1,3})\\)").matcher(text);
    if (m.matches()) {
      int min = Integer.parseInt(m.group(1));
      int max = Integer.parseInt(m.group(2));
      if (min >= 1 && max >= min) return new Policy(Kind.CACHE, 3, min, max);
    }
    throw new TfsException(ErrorCode.BAD_REQUEST,
        "unknown policy '" + text + "': use persistent, kvcache, cache or cache(min,max)");
  }

  /** Whether a write must be durable (fsynced) on every replica before it is acknowledged. */
  public boolean durable() {
    return kind != Kind.KVCACHE;
  }

  /** The name a user writes: {@code persistent}, {@code kvcache}, {@code cache(min,max)}. */
  public String text() {
    return switch (kind) {
      case PERSISTENT -> "persistent";
      case KVCACHE -> "kvcache";
      case CACHE -> "cache(" + cacheMin + "," + cacheMax + ")";
    };
  }
}
