package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.sharding.drain.Drain;
import io.tensorfs.sharding.drain.NodeDrains;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The operator's node actions over {@link NodeDrains}; the caller is an admin (checked before any admin
 * route runs). Translation only:
 *
 * <pre>
 * POST   /v1/admin/nodes/{id}/drain          202 the drain object
 * GET    /v1/admin/nodes/{id}/drain          200 the drain object
 * DELETE /v1/admin/nodes/{id}/drain          200 the drain object (undrained: active)
 * POST   /v1/admin/nodes/{id}/decommission   202 the drain object
 * GET    /v1/admin/drains                    200 {"nodes":[drain object per member]}
 * POST   /v1/admin/repair                    202 {"started":true,"nodes":[...]}
 * </pre>
 *
 * A drain object is {@code {"node","state","replicasLeft","since","stuck"}}: {@code since} ISO-8601 UTC (null
 * for a node never drained), {@code replicasLeft} null until the node first counted, {@code stuck} why the drain cannot finish (null when it can). Thread-safe.
 */
final class AdminNodeRoutes {
  static final String NODES = "/v1/admin/nodes";
  static final String DRAINS = "/v1/admin/drains";
  static final String REPAIR = "/v1/admin/repair";

  private final NodeDrains drains;

  AdminNodeRoutes(NodeDrains drains) {
    this.drains = drains;
  }

  /**
   * Whether {@code path} is one of these routes; other paths under {@code /v1/admin/nodes} (the console's
   * views of the nodes) are not.
   */
  static boolean serves(String path) {
    if (path.equals(DRAINS) || path.equals(REPAIR)) return true;
    if (!path.startsWith(NODES + "/")) return false;
    String last = path.substring(path.lastIndexOf('/') + 1);
    return (last.equals("drain") || last.equals("decommission")) && path.chars().filter(c -> c == '/').count() == 5;
  }

  CompletionStage<HttpResponse> route(HttpRequest request, String path) {
    HttpMethod method = request.method();
    if (path.equals(DRAINS)) {
      if (method != HttpMethods.GET) return notAllowed(method, "GET");
      return drains.all().thenApply(all -> Json.response(StatusCodes.OK,
          new Drains(all.stream().map(DrainJson::of).toList())));
    }
    if (path.equals(REPAIR)) {
      if (method != HttpMethods.POST) return notAllowed(method, "POST");
      return drains.repairEverywhere().thenApply(nodes -> Json.response(StatusCodes.ACCEPTED, new Repair(true, nodes)));
    }
    List<String> s = RawPath.segmentsAfter(NODES, path);
    if (s.size() != 2 || s.get(0).isEmpty()) return noSuchEndpoint(path);
    String node = s.get(0);
    if (s.get(1).equals("drain")) {
      if (method == HttpMethods.POST) return accepted(drains.drain(node));
      if (method == HttpMethods.GET) return ok(drains.status(node));
      if (method == HttpMethods.DELETE) return ok(drains.undrain(node));
      return notAllowed(method, "GET, POST, DELETE");
    }
    if (s.get(1).equals("decommission")) {
      if (method == HttpMethods.POST) return accepted(drains.decommission(node));
      return notAllowed(method, "POST");
    }
    return noSuchEndpoint(path);
  }

  private static CompletionStage<HttpResponse> accepted(CompletionStage<Drain> drain) {
    return drain.thenApply(d -> Json.response(StatusCodes.ACCEPTED, DrainJson.of(d)));
  }

  private static CompletionStage<HttpResponse> ok(CompletionStage<Drain> drain) {
    return drain.thenApply(d -> Json.response(StatusCodes.OK, DrainJson.of(d)));
  }

  private static CompletionStage<HttpResponse> noSuchEndpoint(String path) {
    return CompletableFuture.completedFuture(Json.error(ErrorCode.NOT_FOUND, "no such endpoint: " + path));
  }

  private static CompletionStage<HttpResponse> notAllowed(HttpMethod method, String allowed) {
    return CompletableFuture.completedFuture(Json.response(StatusCodes.METHOD_NOT_ALLOWED,
            new Json.Error(ErrorCode.BAD_REQUEST.name(), method.name() + " is not allowed here; use " + allowed))
        .addHeader(RawHeader.create("Allow", allowed)));
  }

  /** The drain object of the admin API. */
  record DrainJson(String node, String state, Integer replicasLeft, String since, String stuck) {
    static DrainJson of(Drain d) {
      return new DrainJson(d.node(), d.state().wire(), d.replicasLeft() < 0 ? null : d.replicasLeft(),
          d.sinceMillis() == 0 ? null : Instant.ofEpochMilli(d.sinceMillis()).toString(),
          d.stuck().isEmpty() ? null : d.stuck());
    }
  }

  record Drains(List<DrainJson> nodes) {}

  record Repair(boolean started, List<String> nodes) {}
}
