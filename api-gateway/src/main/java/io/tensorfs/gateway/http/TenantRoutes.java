package io.tensorfs.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.tenant.QuotaChange;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Tenants' usage and quotas over the node's operator (README: "Quotas"). Under {@value #ADMIN} (the
 * caller is an admin: that is checked before these routes run):
 *
 * <pre>
 * GET  /v1/admin/tenants                    every tenant at the root or with a quota, sorted
 * GET  /v1/admin/tenants/{tenant}           one tenant (zeros and null limits for one never written)
 * PUT  /v1/admin/tenants/{tenant}/quota     body {"maxBytes": N|null, "maxFiles": N|null}; a field left
 *                                           out keeps its limit, null removes it
 * POST /v1/admin/tenants/{tenant}/rescan    usage counted again from the tenant's directory tree
 * </pre>
 *
 * and under {@value #OWN}: {@code GET /v1/tenants/{tenant}}, a tenant's own object for its own token (or an
 * admin's); other tokens get 403.
 * Thread-safe.
 */
final class TenantRoutes {
  static final String ADMIN = "/v1/admin/tenants";
  static final String OWN = "/v1/tenants";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long MAX_BODY_BYTES = 64 << 10;

  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final Duration bodyTimeout;

  TenantRoutes(ActorSystem<?> system, NodeOperator files, Duration bodyTimeout) {
    this.system = system;
    this.files = files;
    this.bodyTimeout = bodyTimeout;
  }

  CompletionStage<HttpResponse> route(HttpRequest request, String rawPath) {
    HttpMethod method = request.method();
    if (method != HttpMethods.PUT) request.discardEntityBytes(system);
    List<String> s = RawPath.after(ADMIN, rawPath, true).segments(); // each a valid path segment
    if (s.isEmpty()) {
      if (method != HttpMethods.GET) return notAllowed(request, "GET");
      return files.tenants().thenApply(all -> ok(TenantJson.Tenants.of(all)));
    }
    String tenant = s.get(0);
    if (s.size() == 1) {
      if (method != HttpMethods.GET) return notAllowed(request, "GET");
      return files.tenant(tenant).thenApply(u -> ok(TenantJson.Tenant.of(u)));
    }
    if (s.size() == 2 && s.get(1).equals("quota")) {
      if (method != HttpMethods.PUT) return notAllowed(request, "PUT");
      return quotaChange(request)
          .thenCompose(change -> files.setQuota(tenant, change))
          .thenApply(u -> ok(TenantJson.Tenant.of(u)));
    }
    if (s.size() == 2 && s.get(1).equals("rescan")) {
      if (method != HttpMethods.POST) return notAllowed(request, "POST");
      return files.rescan(tenant).thenApply(u -> ok(TenantJson.Tenant.of(u)));
    }
    request.discardEntityBytes(system);
    return CompletableFuture.completedFuture(Json.error(ErrorCode.NOT_FOUND, "no such endpoint: " + rawPath));
  }

  /** {@code GET /v1/tenants/{tenant}}: a tenant's own object, for a token of that tenant or an admin (else 403). */
  CompletionStage<HttpResponse> own(HttpRequest request, String rawPath, Caller caller) {
    request.discardEntityBytes(system);
    List<String> s = RawPath.after(OWN, rawPath, true).segments();
    if (s.size() != 1) return CompletableFuture.completedFuture(Json.error(ErrorCode.NOT_FOUND, "no such endpoint: " + rawPath));
    if (request.method() != HttpMethods.GET) return notAllowed(request, "GET");
    String tenant = s.get(0);
    Access.requireTenant(caller, tenant);
    return files.tenant(tenant).thenApply(u -> ok(TenantJson.Tenant.of(u)));
  }

  /** The body of a quota PUT: each limit a number of at least 0, null (no limit), or absent (kept). */
  private CompletionStage<QuotaChange> quotaChange(HttpRequest request) {
    return request.entity().withSizeLimit(MAX_BODY_BYTES).toStrict(bodyTimeout.toMillis(), system)
        .thenApply(strict -> {
          JsonNode body;
          try {
            body = MAPPER.readTree(strict.getData().toArray());
          } catch (IOException e) {
            throw bad("the body is not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
          }
          if (body == null || !body.isObject()) throw bad("the body must be a JSON object {\"maxBytes\":N|null,\"maxFiles\":N|null}");
          body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("maxBytes") && !name.equals("maxFiles")) throw bad("unknown field " + name);
          });
          return new QuotaChange(body.has("maxBytes"), limit(body, "maxBytes"), body.has("maxFiles"),
              limit(body, "maxFiles"));
        });
  }

  private static OptionalLong limit(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) return OptionalLong.empty();
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw bad(field + " must be a whole number of at least 0, or null for no limit; got " + v);
    }
    return OptionalLong.of(v.asLong());
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }

  private static HttpResponse ok(Object body) {
    return Json.response(StatusCodes.OK, body);
  }

  private CompletionStage<HttpResponse> notAllowed(HttpRequest request, String allowed) {
    request.discardEntityBytes(system);
    return HttpApi.methodNotAllowed(request.method().name(), allowed);
  }
}
