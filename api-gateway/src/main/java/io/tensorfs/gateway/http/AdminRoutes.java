package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.admin.AdminViews;
import io.tensorfs.sharding.events.NodeEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.util.ByteString;

/**
 * The admin console's read-only views over HTTP (README: "Admin console"): each route translates to one
 * call of {@link AdminViews} and writes its answer as JSON; {@code /v1/admin/events} streams the node's
 * events as server-sent events. The caller is an admin already: the token is checked before admin routes
 * run. Thread-safe; holds no per-request state.
 */
final class AdminRoutes {
  static final String PREFIX = "/v1/admin";
  private static final Pattern METRICS = Pattern.compile("/v1/admin/nodes/([A-Za-z0-9._-]+)/metrics");
  private static final long DEFAULT_WINDOW_SECONDS = 300;
  /** A comment line this often keeps an idle event stream (and the proxies on its way) open. */
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final AdminViews views;

  AdminRoutes(AdminViews views) {
    this.views = views;
  }

  /** Whether {@code path} is one of the views served here (other admin routes belong to other parts). */
  static boolean serves(String path) {
    return switch (path) {
      case "/v1/admin/cluster", "/v1/admin/sharding", "/v1/admin/nodes", "/v1/admin/under-replicated",
          "/v1/admin/hot", "/v1/admin/events" -> true;
      default -> METRICS.matcher(path).matches();
    };
  }

  CompletionStage<HttpResponse> route(HttpRequest request, String path) {
    if (request.method() != HttpMethods.GET) {
      return CompletableFuture.completedFuture(Json.response(StatusCodes.METHOD_NOT_ALLOWED,
          new Json.Error(ErrorCode.BAD_REQUEST.name(), request.method().name() + " is not allowed here; use GET"))
          .addHeader(RawHeader.create("Allow", "GET")));
    }
    Matcher metrics = METRICS.matcher(path);
    if (metrics.matches()) {
      long window = window(request.getUri().query().get("window").orElse(null));
      return views.metrics(metrics.group(1), window).thenApply(this::ok);
    }
    return switch (path) {
      case "/v1/admin/cluster" -> views.cluster().thenApply(this::ok);
      case "/v1/admin/sharding" -> views.sharding().thenApply(this::ok);
      case "/v1/admin/nodes" -> views.nodes().thenApply(this::ok);
      case "/v1/admin/under-replicated" -> views.underReplicated().thenApply(this::ok);
      case "/v1/admin/hot" -> views.hot().thenApply(this::ok);
      default -> CompletableFuture.completedFuture(events());
    };
  }

  private HttpResponse ok(Object body) {
    return Json.response(StatusCodes.OK, body);
  }

  /** {@code event: <kind>} and {@code data: <json>} per event, the kept ones first, then live. */
  private HttpResponse events() {
    var stream = views.events()
        .map(e -> ByteString.fromString("event: " + e.kind() + "\ndata: " + Json.text(Event.of(e)) + "\n\n"))
        .keepAlive(KEEP_ALIVE, () -> ByteString.fromString(": keep-alive\n\n"));
    return HttpResponse.create()
        .withEntity(HttpEntities.createChunked(MediaTypes.TEXT_EVENT_STREAM.toContentType(), stream))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"));
  }

  private static long window(String text) {
    if (text == null) return DEFAULT_WINDOW_SECONDS;
    try {
      long w = Long.parseLong(text);
      if (w > 0) return w;
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new TfsException(ErrorCode.BAD_REQUEST, "window must be a positive number of seconds, not " + text);
  }

  /** An event as JSON: {@code time} as an ISO-8601 UTC string. */
  record Event(String time, String kind, String node, String detail) {
    static Event of(NodeEvent e) {
      return new Event(e.time().toString(), e.kind(), e.node(), e.detail());
    }
  }
}
