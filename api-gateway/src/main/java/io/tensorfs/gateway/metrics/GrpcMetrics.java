package io.tensorfs.gateway.metrics;

import io.tensorfs.gateway.grpc.v1.Tensorfs;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The gRPC edge's part of {@link RequestMetrics}: operation = the RPC's name ({@code other} for a name the
 * service does not have), status = the gRPC status name. A call that fails before its first message answers
 * with its status in the response head; a call that fails after streaming began carries it in the
 * trailers, which this does not see: such a call counts as {@code OK} with the latency of its head.
 */
public final class GrpcMetrics {
  private static final Set<String> RPCS = Arrays.stream(Tensorfs.class.getDeclaredMethods())
      .map(m -> m.getName().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
  private static final String[] STATUS = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

  private GrpcMetrics() {}

  /** Counts {@code response} to {@code request} once its head is there; returns it unchanged. */
  public static CompletionStage<HttpResponse> timed(HttpRequest request, CompletionStage<HttpResponse> response) {
    long startNanos = System.nanoTime();
    String operation = operation(request.getUri().path());
    return response.whenComplete((r, e) -> RequestMetrics.answered("grpc", operation,
        r == null ? "INTERNAL" : status(r), startNanos));
  }

  static String operation(String path) {
    String name = path.substring(path.lastIndexOf('/') + 1);
    return RPCS.contains(name.toLowerCase(Locale.ROOT)) ? name : "other";
  }

  private static String status(HttpResponse r) {
    if (r.status().intValue() != 200) return "HTTP_" + r.status().intValue();
    return r.getHeader("grpc-status").map(HttpHeader::value).map(GrpcMetrics::statusName).orElse("OK");
  }

  private static String statusName(String code) {
    try {
      int c = Integer.parseInt(code.trim());
      return c >= 0 && c < STATUS.length ? STATUS[c] : "UNKNOWN";
    } catch (NumberFormatException e) {
      return "UNKNOWN";
    }
  }
}
