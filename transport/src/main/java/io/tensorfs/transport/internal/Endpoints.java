package io.tensorfs.transport.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.Map;
import java.util.StringJoiner;

/** Parsing of endpoint strings ({@code scheme://host:port?key=value&...}). Stateless. */
public final class Endpoints {
  private Endpoints() {}

  public static URI parse(String endpoint) {
    try {
      return new URI(endpoint);
    } catch (URISyntaxException | NullPointerException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "bad endpoint: " + endpoint);
    }
  }

  /** The query parameters of an endpoint. */
  public static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String q = uri.getRawQuery();
    if (q == null) return out;
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) out.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return out;
  }

  /** {@code endpoint} without its query parameter {@code name}, and without the {@code ?} when no other is left. */
  public static String without(String endpoint, String name) {
    int q = endpoint.indexOf('?');
    if (q < 0) return endpoint;
    StringJoiner kept = new StringJoiner("&");
    for (String pair : endpoint.substring(q + 1).split("&")) {
      if (!pair.equals(name) && !pair.startsWith(name + "=")) kept.add(pair);
    }
    return kept.length() == 0 ? endpoint.substring(0, q) : endpoint.substring(0, q + 1) + kept;
  }

  /** The number in {@code text} (a port, a stream) when it lies in 1..{@code max}, else -1. */
  public static int positive(String text, int max) {
    try {
      int n = Integer.parseInt(text);
      return n > 0 && n <= max ? n : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** A host as it goes in a URI: IPv6 literals in brackets. */
  public static String hostForUri(String host) {
    return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
