package io.tensorfs.gateway.metrics;

import io.tensorfs.core.metrics.Counter;
import io.tensorfs.core.metrics.Histogram;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests the edges answered, as {@code tensorfs.gateway.requests{api, operation, status}} and their latency
 * {@code tensorfs.gateway.request-latency{api, operation}}: {@code api} is {@code http}, {@code grpc} or
 * {@code front} (the front door's direct reads), {@code operation} a fixed name per route or RPC (never a
 * path), {@code status} the HTTP status code or the gRPC status name. Latency runs from the request to
 * its response's head (for a direct read of the front door, to its last byte). Thread-safe; instruments are
 * made once per tag combination.
 */
public final class RequestMetrics {
  private static final ConcurrentHashMap<String, Counter> COUNTERS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, Histogram> LATENCIES = new ConcurrentHashMap<>();

  private RequestMetrics() {}

  /** A request of {@code api}/{@code operation} that arrived at {@code startNanos} was answered with {@code status}. */
  public static void answered(String api, String operation, String status, long startNanos) {
    LATENCIES.computeIfAbsent(api + ' ' + operation, k -> Metrics.histogram("tensorfs.gateway.request-latency", "Time from a request to its response head (front door direct reads: to the last byte)",
        Unit.NANOSECONDS, Tags.of("api", api, "operation", operation))).recordSince(startNanos);
    COUNTERS.computeIfAbsent(api + ' ' + operation + ' ' + status, k -> Metrics.counter("tensorfs.gateway.requests", "Requests answered, by API, operation and status",
        Unit.NONE, Tags.of("api", api, "operation", operation, "status", status))).increment();
  }

  /**
   * The operation of an HTTP request: the first segment after {@code /v1/} and the method, e.g.
   * {@code files.get}; {@code other} for anything outside the API, so a scan of random paths adds no series.
   */
  public static String httpOperation(String method, String path) {
    String area;
    if (path.equals("/v1/health")) area = "health";
    else if (under(path, "/v1/files")) area = "files";
    else if (under(path, "/v1/cache")) area = "cache";
    else if (under(path, "/v1/stat")) area = "stat";
    else if (under(path, "/v1/list")) area = "list";
    else return "other";
    return switch (method) {
      case "GET", "HEAD", "PUT", "POST", "DELETE" -> area + "." + method.toLowerCase(java.util.Locale.ROOT);
      default -> area + ".other";
    };
  }

  private static boolean under(String path, String prefix) {
    return path.equals(prefix) || path.startsWith(prefix + "/");
  }
}
