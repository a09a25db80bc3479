package io.tensorfs.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.auth.S3Keys;
import io.tensorfs.sharding.auth.Role;
import io.tensorfs.sharding.auth.Tokens;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Materializer;

/**
 * The token admin under {@value #PREFIX} (the caller is an admin: {@link HttpApi} checked it):
 *
 * <pre>
 * GET    /v1/admin/tokens          200 {"tokens":[{"id","tenant","role","description","created","revoked"}]}
 * POST   /v1/admin/tokens          {"tenant","role","description"[,"s3":true]}  201 {"id","token",...}: the only time the
 *                                  token is shown; with "s3": also its S3 key pair {"accessKey","secretKey"}
 * DELETE /v1/admin/tokens/{id}     204; 404 when unknown
 * </pre>
 *
 * Thread-safe.
 */
final class TokenRoutes {
  static final String PREFIX = "/v1/admin/tokens";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long MAX_BODY_BYTES = 64 * 1024;
  private static final long BODY_TIMEOUT_MILLIS = 10_000;

  private final ActorSystem<?> system;
  private final Tokens tokens;
  private final Optional<S3Keys> s3Keys;

  TokenRoutes(ActorSystem<?> system, Tokens tokens, Optional<S3Keys> s3Keys) {
    this.system = system;
    this.tokens = tokens;
    this.s3Keys = s3Keys;
  }

  CompletionStage<HttpResponse> route(HttpRequest request, String rawPath) {
    List<String> s = RawPath.segmentsAfter(PREFIX, rawPath);
    var method = request.method();
    if (s.isEmpty() && method == HttpMethods.POST) return create(request);
    request.discardEntityBytes(system);
    if (s.isEmpty() && method == HttpMethods.GET) {
      return tokens.list().thenApply(all -> Json.response(StatusCodes.OK, TokenJson.Listing.of(all)));
    }
    if (s.size() == 1 && method == HttpMethods.DELETE) {
      return tokens.revoke(s.get(0)).thenApply(r -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
    }
    if (s.size() > 1) throw new TfsException(ErrorCode.NOT_FOUND, "no such endpoint: " + rawPath);
    throw new TfsException(ErrorCode.BAD_REQUEST, method.name() + " is not allowed here; use "
        + (s.isEmpty() ? "GET or POST " + PREFIX : "DELETE " + PREFIX + "/{id}"));
  }

  private CompletionStage<HttpResponse> create(HttpRequest request) {
    return request.entity().withSizeLimit(MAX_BODY_BYTES).toStrict(BODY_TIMEOUT_MILLIS, Materializer.matFromSystem(system))
        .thenCompose(body -> {
          JsonNode json = parse(body.getData().toArray());
          String tenant = text(json, "tenant");
          String role = text(json, "role");
          if (role == null) throw new TfsException(ErrorCode.BAD_REQUEST, "a token needs a role: admin, read-write or read-only");
          JsonNode s3 = json.get("s3");
          if (s3 != null && !s3.isBoolean()) throw new TfsException(ErrorCode.BAD_REQUEST, "'s3' must be true or false");
          boolean withKeys = s3 != null && s3.asBoolean();
          if (withKeys && s3Keys.isEmpty()) {
            throw new TfsException(ErrorCode.BAD_REQUEST, "this node serves no S3 API (tensorfs.s3.port = 0)");
          }
          return tokens.create(tenant, Role.parse(role), text(json, "description")).thenApply(issued -> withKeys
              ? TokenJson.Issued.of(issued, S3Keys.accessKey(issued.record().id()),
                  s3Keys.get().secretKey(issued.record().id()))
              : TokenJson.Issued.of(issued));
        })
        .thenApply(issued -> Json.response(StatusCodes.CREATED, issued));
  }

  private static JsonNode parse(byte[] body) {
    try {
      JsonNode json = MAPPER.readTree(body);
      if (json == null || !json.isObject()) throw new IOException("not a JSON object");
      return json;
    } catch (IOException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "the body must be a JSON object {\"tenant\",\"role\",\"description\"}: "
          + e.getMessage());
    }
  }

  /** A string field, null when absent or JSON null; BAD_REQUEST when of another type. */
  private static String text(JsonNode json, String field) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) return null;
    if (!v.isTextual()) throw new TfsException(ErrorCode.BAD_REQUEST, "'" + field + "' must be a string or null");
    return v.asText();
  }
}
