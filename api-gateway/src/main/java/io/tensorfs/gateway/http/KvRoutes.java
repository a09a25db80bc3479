package io.tensorfs.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.kv.KvBlocks;
import io.tensorfs.sharding.kv.KvPresence;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The KV-block routes under {@value #PREFIX}{@code /{tenant}/{key...}}: PUT (201), GET (200 or 404: a miss
 * is an answer), HEAD, DELETE (204 or 404), and {@code POST /v1/kv/{tenant}?op=exists} with
 * {@code {"keys":[..]}} answering {@code {"present":[..],"prefix":N}}, and the batched {@code ?op=mget} and
 * {@code ?op=mput} ({@link KvBatches}). Each checks the caller through
 * {@link Access} on the path {@code /tenant/key} (READ, WRITE or DELETE) before anything is looked up, then
 * calls the operator's {@link KvBlocks}. Thread-safe; holds no per-request state.
 */
final class KvRoutes {
  static final String PREFIX = "/v1/kv";
  /** Largest body of an exists request. */
  private static final int MAX_EXISTS_BODY_BYTES = 4 << 20;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final ActorSystem<?> system;
  private final KvBlocks kv;
  private final Duration bodyTimeout;
  private final KvBatches batches;

  KvRoutes(ActorSystem<?> system, KvBlocks kv, Duration bodyTimeout) {
    this.system = system;
    this.kv = kv;
    this.bodyTimeout = bodyTimeout;
    this.batches = new KvBatches(system, kv, bodyTimeout);
  }

  CompletionStage<HttpResponse> route(HttpRequest request, String rawPath, Caller caller) {
    TfsPath path = RawPath.after(PREFIX, rawPath, false);
    var method = request.method();
    if (path.segments().size() == 1) {
      if (method != HttpMethods.POST) return HttpApi.methodNotAllowed(method.name(), "POST (?op=exists|mget|mput)");
      String tenant = path.segments().get(0);
      switch (request.getUri().query().get("op").orElse("")) {
        case "exists" -> {
          Access.check(caller, Operation.READ, path);
          return exists(request, tenant);
        }
        case "mget" -> {
          Access.check(caller, Operation.READ, path);
          return batches.mget(request, tenant);
        }
        case "mput" -> {
          Access.check(caller, Operation.WRITE, path);
          return batches.mput(request, tenant);
        }
        default -> throw new TfsException(ErrorCode.BAD_REQUEST, "POST " + PREFIX + "/{tenant} takes ?op=exists, mget or mput");
      }
    }
    if (path.segments().size() < 2) throw new TfsException(ErrorCode.BAD_PATH, "a KV path is " + PREFIX + "/{tenant}/{key}");
    String tenant = path.segments().get(0);
    String key = String.join("/", path.segments().subList(1, path.segments().size()));
    if (method == HttpMethods.PUT) {
      Access.check(caller, Operation.WRITE, path);
      return put(request, tenant, key);
    }
    request.discardEntityBytes(system);
    if (method == HttpMethods.GET || method == HttpMethods.HEAD) {
      Access.check(caller, Operation.READ, path);
      boolean head = method == HttpMethods.HEAD;
      return kv.get(tenant, key).thenApply(bytes -> bytes.isPresent()
          ? HttpResponse.create().withEntity(block(bytes.get(), head))
          : miss(tenant, key));
    }
    if (method == HttpMethods.DELETE) {
      Access.check(caller, Operation.DELETE, path);
      return kv.remove(tenant, key).thenApply(removed -> removed
          ? HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)
          : miss(tenant, key));
    }
    return HttpApi.methodNotAllowed(method.name(), "GET, HEAD, PUT, DELETE");
  }

  private CompletionStage<HttpResponse> put(HttpRequest request, String tenant, String key) {
    long max = kv.maxBlockBytes();
    var declared = request.entity().getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > max) {
      request.discardEntityBytes(system);
      throw tooLarge(declared.getAsLong(), max);
    }
    return request.entity().withSizeLimit(max).toStrict(bodyTimeout.toMillis(), max, system)
        .exceptionally(e -> {
          if (Failures.unwrap(e) instanceof EntityStreamSizeException) throw new CompletionException(tooLarge(-1, max));
          throw new CompletionException(Failures.unwrap(e));
        })
        .thenCompose(strict -> kv.put(tenant, key, strict.getData()))
        .thenApply(d -> HttpResponse.create().withStatus(StatusCodes.CREATED));
  }

  private CompletionStage<HttpResponse> exists(HttpRequest request, String tenant) {
    return request.entity().withSizeLimit(MAX_EXISTS_BODY_BYTES).toStrict(bodyTimeout.toMillis(), system)
        .thenApply(strict -> keysOf(strict.getData()))
        .thenCompose(keys -> kv.exists(tenant, keys))
        .thenApply(p -> Json.response(StatusCodes.OK, new Presence(p.present(), p.prefix())));
  }

  static List<String> keysOf(ByteString body) {
    JsonNode json;
    try {
      json = MAPPER.readTree(body.toArray());
    } catch (IOException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "the body is not JSON: " + e.getMessage());
    }
    JsonNode keys = json == null ? null : json.get("keys");
    if (keys == null || !keys.isArray()) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "the body must be {\"keys\": [\"key\", ...]}");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode k : keys) {
      if (!k.isTextual()) throw new TfsException(ErrorCode.BAD_REQUEST, "every key must be a string; got " + k);
      out.add(k.asText());
    }
    return out;
  }

  private static org.apache.pekko.http.javadsl.model.ResponseEntity block(ByteString bytes, boolean head) {
    if (bytes.isEmpty()) return HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, ByteString.emptyByteString());
    return head
        ? HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, bytes.size(), Source.empty())
        : HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, bytes);
  }

  private static HttpResponse miss(String tenant, String key) {
    return Json.error(ErrorCode.NOT_FOUND, "no KV block " + key + " in " + tenant);
  }

  private static TfsException tooLarge(long bytes, long max) {
    return new TfsException(ErrorCode.TOO_LARGE, (bytes < 0 ? "the block" : "a block of " + bytes + " bytes")
        + " is more than the limit of " + max + " bytes");
  }

  /** The answer of an exists request. */
  record Presence(List<Boolean> present, int prefix) {}
}
