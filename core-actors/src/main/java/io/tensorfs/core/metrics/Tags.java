package io.tensorfs.core.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Labels of one time series. Keep them low in cardinality: an API, an operation, a status, a source, a
 * peer node id or a store id; never a path or a file id. Immutable.
 */
public final class Tags {
  public static final Tags EMPTY = new Tags(Map.of());

  private final Map<String, String> values;

  private Tags(Map<String, String> values) {
    this.values = values;
  }

  /** Tags from key/value pairs: {@code Tags.of("api", "http", "status", "200")}. */
  public static Tags of(String... keyValues) {
    if (keyValues.length % 2 != 0) throw new IllegalArgumentException("tags come in key/value pairs");
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return new Tags(Collections.unmodifiableMap(m));
  }

  /** These tags and one more (or one replaced). */
  public Tags and(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(values);
    m.put(key, value);
    return new Tags(Collections.unmodifiableMap(m));
  }

  public Map<String, String> asMap() {
    return values;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tags t && t.values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
