package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.metrics.RequestMetrics;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.admin.AdminViews;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.checkpoint.Checkpoints;
import io.tensorfs.sharding.drain.NodeDrains;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.HintOp;
import io.tensorfs.sharding.operator.HintResult;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.AcceptRanges;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.OAuth2BearerToken;
import org.apache.pekko.http.javadsl.model.headers.ContentRange;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RangeUnits;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RawRequestURI;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (README: "HTTP API"): a plain request handler over {@link NodeOperator}. The raw
 * request path is parsed here, segment by segment, so the path rules see every encoded form. Every
 * failure becomes a JSON {@code {"error", "message"}} with its status; no stack trace leaves the node.
 *
 * <p>Every request but {@value #HEALTH} (and the console's static files) carries a token
 * ({@code Authorization: Bearer}), checked here once before any route runs: 401 without a valid one; every
 * route under {@value #ADMIN} needs an admin token (403 otherwise), every other route passes its operation
 * and path through {@link Access} before it looks anything up, so a refusal never depends on what exists.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  static final String FILES = "/v1/files";
  static final String STAT = "/v1/stat";
  static final String HEALTH = "/v1/health";
  static final String CACHE = "/v1/cache";
  static final String CACHE_HEADER = "X-Tfs-Cache";
  static final String ADMIN = "/v1/admin";

  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final ListRoutes lists;
  private final GatewaySettings settings;
  private final NodeStatus node;
  private final CheckpointRoutes checkpoints;
  private final Optional<AdminNodeRoutes> adminNodes;
  private final ConsoleRoutes console = new ConsoleRoutes();
  /** The admin console's read-only views; absent for an API built without them (tests). */
  private final Optional<AdminRoutes> views;
  private final Tokens tokens;
  private final TokenRoutes tokenRoutes;
  private final TenantRoutes tenants;
  private final KvRoutes kv;

  /** Without authentication (every request acts as admin): for tests of the routes alone. */
  public HttpApi(ActorSystem<?> system, NodeOperator files, GatewaySettings settings, NodeStatus node) {
    this(system, files, new Checkpoints(system, files), settings, node, Tokens.off());
  }

  /**
   * @param checkpoints the node's checkpoint operator, served under {@code /v1/checkpoints}
   * @param tokens      who each request's token is, and the token admin under {@code /v1/admin/tokens}
   */
  public HttpApi(ActorSystem<?> system, NodeOperator files, Checkpoints checkpoints, GatewaySettings settings,
      NodeStatus node, Tokens tokens) {
    this(system, files, checkpoints, settings, node, tokens, Optional.empty(), Optional.empty());
  }

  /**
   * @param drains the operator's drain, decommission and repair actions, under {@code /v1/admin}
   *     (absent: those routes answer 404)
   * @param admin  the admin console's read-only views, under {@code /v1/admin}
   */
  public HttpApi(ActorSystem<?> system, NodeOperator files, Checkpoints checkpoints, GatewaySettings settings,
      NodeStatus node, Tokens tokens, Optional<NodeDrains> drains, Optional<AdminViews> admin) {
    this(system, files, checkpoints, settings, node, tokens, drains, admin, Optional.empty());
  }

  /** @param s3Keys the S3 key pairs a token created with {@code "s3": true} is shown (absent: no S3 API) */
  public HttpApi(ActorSystem<?> system, NodeOperator files, Checkpoints checkpoints, GatewaySettings settings,
      NodeStatus node, Tokens tokens, Optional<NodeDrains> drains, Optional<AdminViews> admin,
      Optional<io.tensorfs.gateway.auth.S3Keys> s3Keys) {
    this.views = admin.map(AdminRoutes::new);
    this.system = system;
    this.files = files;
    this.settings = settings;
    this.node = node;
    this.checkpoints = new CheckpointRoutes(system, checkpoints);
    this.adminNodes = drains.map(AdminNodeRoutes::new);
    this.tokens = tokens;
    this.tokenRoutes = new TokenRoutes(system, tokens, s3Keys);
    this.tenants = new TenantRoutes(system, files, settings.requestTimeout());
    this.lists = new ListRoutes(files);
    this.kv = new KvRoutes(system, files.kv(), settings.requestTimeout());
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    long startNanos = System.nanoTime();
    return answer(request).whenComplete((r, e) -> RequestMetrics.answered("http",
        RequestMetrics.httpOperation(request.method().name(), request.getUri().path()),
        r != null ? Integer.toString(r.status().intValue()) : "500", startNanos));
  }

  private CompletionStage<HttpResponse> answer(HttpRequest request) {
    CompletionStage<HttpResponse> response;
    try {
      response = route(request);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.exceptionally(e -> {
      request.discardEntityBytes(system);
      return errorResponse(request, e);
    });
  }

  private CompletionStage<HttpResponse> route(HttpRequest request) {
    String path = RawPath.pathOf(rawTarget(request));
    if (path.equals(HEALTH)) return health(request);
    if (under(path, ConsoleRoutes.PREFIX)) return CompletableFuture.completedFuture(console.route(discarded(request), path));
    // Routes that need no token (the console's static files) go above this line.
    if (!node.ready()) {
      throw new TfsException(ErrorCode.UNAVAILABLE, "node " + node.nodeId() + " is starting; try again shortly");
    }
    String token = bearerToken(request);
    Caller caller = tokens.cached(token);
    if (caller != null) return route(request, path, caller);
    return tokens.authenticate(token).thenCompose(c -> route(request, path, c));
  }

  private CompletionStage<HttpResponse> route(HttpRequest request, String path, Caller caller) {
    var method = request.method();
    if (under(path, ADMIN)) {
      Access.requireAdmin(caller);
      return admin(request, path);
    }
    if (under(path, TenantRoutes.OWN)) return tenants.own(request, path, caller);
    if (under(path, CheckpointRoutes.PREFIX)) return checkpoints.route(request, path, caller);
    if (under(path, KvRoutes.PREFIX)) return kv.route(request, path, caller);
    if (under(path, FILES)) {
      TfsPath p = RawPath.after(FILES, path, false);
      if (method == HttpMethods.PUT) {
        Access.check(caller, Operation.WRITE, p);
        return put(request, p);
      }
      discard(request);
      if (method == HttpMethods.GET || method == HttpMethods.HEAD) Access.check(caller, Operation.READ, p);
      if (method == HttpMethods.GET) return get(request, p);
      if (method == HttpMethods.HEAD) return head(request, p);
      if (method == HttpMethods.DELETE) {
        Access.check(caller, Operation.DELETE, p);
        return files.delete(p, ConditionalHeaders.of(request))
            .thenApply(v -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
      }
      return methodNotAllowed(method.name(), "GET, HEAD, PUT, DELETE");
    }
    discard(request);
    if (under(path, CACHE)) return cache(request, path, caller);
    if (under(path, STAT)) {
      if (method != HttpMethods.GET) return methodNotAllowed(method.name(), "GET");
      TfsPath target = RawPath.after(STAT, path, false);
      Access.check(caller, Operation.READ, target);
      return files.statWithChunks(target)
          .thenApply(p -> Json.response(StatusCodes.OK,
              Json.Stat.of(p.first(), p.second(), files.minInsync(p.first().policy()))));
    }
    if (under(path, ListRoutes.PREFIX)) return lists.route(request, path, caller);
    return CompletableFuture.completedFuture(Json.error(ErrorCode.NOT_FOUND, "no such endpoint: " + path));
  }

  /** Every route under {@value #ADMIN}; the caller is an admin. */
  private CompletionStage<HttpResponse> admin(HttpRequest request, String path) {
    if (under(path, TokenRoutes.PREFIX)) return tokenRoutes.route(request, path);
    if (under(path, TenantRoutes.ADMIN)) return tenants.route(request, path);
    discard(request);
    if (views.isPresent() && AdminRoutes.serves(path)) return views.get().route(request, path);
    if (adminNodes.isPresent() && AdminNodeRoutes.serves(path)) return adminNodes.get().route(request, path);
    return CompletableFuture.completedFuture(Json.error(ErrorCode.NOT_FOUND, "no such endpoint: " + path));
  }

  /** The request's bearer token, null when it carries no Authorization header. */
  private static String bearerToken(HttpRequest request) {
    Optional<Authorization> modeled = request.getHeader(Authorization.class);
    if (modeled.isPresent() && modeled.get().credentials() instanceof OAuth2BearerToken bearer) return bearer.token();
    return Tokens.bearerToken(request.getHeader("Authorization").map(HttpHeader::value).orElse(null));
  }

  private CompletionStage<HttpResponse> health(HttpRequest request) {
    discard(request);
    var body = new Json.Health(node.nodeId(), node.ready() ? "up" : "starting", node.members());
    return CompletableFuture.completedFuture(
        Json.response(node.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body));
  }

  private CompletionStage<HttpResponse> put(HttpRequest request, TfsPath path) {
    Policy policy = Policy.parse(request.getUri().query().get("policy").orElse("persistent"));
    Precondition precondition = ConditionalHeaders.of(request);
    HttpEntity entity = request.entity();
    OptionalLong declared = entity.getContentLengthOption();
    Source<ByteString, ?> body = entity.withoutSizeLimit().getDataBytes();
    return files.put(path, policy, settings.chunkSizeBytes(), precondition, declared, settings.maxFileSizeBytes(), body)
        .thenApply(v -> Json.response(StatusCodes.CREATED, Json.Put.of(v))
            .addHeader(etag(v))
            .addHeader(Location.create(FILES + request.getUri().getPathString().substring(FILES.length()))));
  }

  private CompletionStage<HttpResponse> get(HttpRequest request, TfsPath path) {
    Optional<String> rangeHeader = request.getHeader("Range").map(HttpHeader::value);
    Precondition precondition = ConditionalHeaders.of(request);
    return files.statForRead(path).thenCompose(v -> {
      if (precondition.evaluate(OptionalLong.of(v.version())) != Precondition.Outcome.HOLDS) {
        return files.ensureReadable(v).thenApply(x -> unmet(precondition, v));
      }
      ByteRange range = ByteRange.parse(rangeHeader.orElse(null), v.size());
      if (range instanceof ByteRange.Unsatisfiable) {
        return CompletableFuture.completedFuture(
            Json.error(ErrorCode.RANGE_NOT_SATISFIABLE, "range " + rangeHeader.orElse("") + " is outside 0-" + v.size())
                .addHeader(ContentRange.create(RangeUnits.BYTES,
                    org.apache.pekko.http.javadsl.model.ContentRange.createUnsatisfiable(v.size()))));
      }
      if (range instanceof ByteRange.Slice s) {
        return files.openRead(v, s.first(), s.length()).thenApply(read -> fileResponse(read)
            .withStatus(StatusCodes.PARTIAL_CONTENT)
            .addHeader(ContentRange.create(RangeUnits.BYTES,
                org.apache.pekko.http.javadsl.model.ContentRange.create(s.first(), s.last(), v.size()))));
      }
      return files.openRead(v, 0, v.size()).thenApply(this::fileResponse);
    });
  }

  private HttpResponse fileResponse(FileRead read) {
    FileVersion v = read.version();
    Source<ByteString, ?> body = files.bytesOf(read);
    if (read.length() == 0) read.close();
    return HttpResponse.create()
        .withEntity(bytes(read.length(), body))
        .addHeader(etag(v))
        .addHeader(AcceptRanges.create(RangeUnits.BYTES))
        .addHeader(RawHeader.create("X-Tfs-Policy", v.policy().text()))
        .addHeader(RawHeader.create(CACHE_HEADER, read.hit() ? "hit" : "miss"));
  }

  private CompletionStage<HttpResponse> head(HttpRequest request, TfsPath path) {
    Precondition precondition = ConditionalHeaders.of(request);
    return files.statForRead(path).thenCompose(files::ensureReadable).thenApply(v -> {
      if (precondition.evaluate(OptionalLong.of(v.version())) != Precondition.Outcome.HOLDS) {
        return unmet(precondition, v);
      }
      return HttpResponse.create()
          .withEntity(bytes(v.size(), Source.empty()))
          .addHeader(etag(v))
          .addHeader(AcceptRanges.create(RangeUnits.BYTES))
          .addHeader(RawHeader.create("X-Tfs-Policy", v.policy().text()));
    });
  }

  /**
   * The answer of a GET or HEAD whose preconditions do not hold on {@code v}, the version it would serve
   * (RFC 9110 13.2.2): 412 for a failed If-Match, else 304 with the ETag and no body.
   */
  private static HttpResponse unmet(Precondition precondition, FileVersion v) {
    OptionalLong current = OptionalLong.of(v.version());
    if (precondition.evaluate(current) == Precondition.Outcome.IF_MATCH_FAILED) {
      return Json.error(ErrorCode.PRECONDITION_FAILED, precondition.failure(v.path(), current).orElseThrow())
          .addHeader(etag(v));
    }
    return HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeader(etag(v));
  }

  /** GET /v1/cache: the figures; POST /v1/cache/{path}?op=willneed|dontneed|pin|unpin[&async=true]. */
  private CompletionStage<HttpResponse> cache(HttpRequest request, String path, Caller caller) {
    var method = request.method();
    if (path.equals(CACHE)) {
      if (method != HttpMethods.GET) return methodNotAllowed(method.name(), "GET");
      var local = files.localCacheStats();
      return files.cacheStats().thenApply(all -> Json.response(StatusCodes.OK, Json.Cache.of(node.nodeId(), local,
          all.stream().map(s -> new Json.NodeCache(s.nodeId(), s.stats())).toList())));
    }
    if (method != HttpMethods.POST) return methodNotAllowed(method.name(), "POST");
    TfsPath target = RawPath.after(CACHE, path, true);
    var query = request.getUri().query();
    HintOp op = HintOp.parse(query.get("op").orElse(null));
    Access.check(caller, Operation.of(op), target);
    boolean async = query.get("async").map(a -> a.equals("true") || a.equals("1")).orElse(false);
    CompletionStage<HintResult> done = files.hint(target, op);
    if (async) {
      done.whenComplete((r, e) -> {
        if (e != null) log.warn("{} of {} failed: {}", op.text(), target, e.getMessage());
      });
      return CompletableFuture.completedFuture(
          Json.response(StatusCodes.ACCEPTED, new Json.Accepted(target.toString(), op.text(), true)));
    }
    return done.thenApply(r -> {
      if (r.failed() > 0) {
        return Json.error(ErrorCode.NO_SPACE, op.text() + " of " + target + ": " + r.failed() + " of " + r.chunks()
            + " chunks could not be loaded: " + r.firstError());
      }
      return Json.response(StatusCodes.OK, Json.Hint.of(r));
    });
  }

  /** An octet-stream entity of a known length; Pekko wants the empty one built apart. */
  private static ResponseEntity bytes(long length, Source<ByteString, ?> source) {
    return length == 0
        ? HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, ByteString.emptyByteString())
        : HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, length, source);
  }

  private static ETag etag(FileVersion v) {
    return ETag.create(EntityTag.create(Long.toString(v.version()), false));
  }

  private static boolean under(String path, String prefix) {
    return path.equals(prefix) || path.startsWith(prefix + "/");
  }

  private static String rawTarget(HttpRequest request) {
    return request.getHeader(RawRequestURI.class).map(RawRequestURI::uri).orElseGet(() -> request.getUri().toString());
  }

  private void discard(HttpRequest request) {
    request.discardEntityBytes(system);
  }

  private HttpRequest discarded(HttpRequest request) {
    discard(request);
    return request;
  }

  static CompletionStage<HttpResponse> methodNotAllowed(String method, String allowed) {
    return CompletableFuture.completedFuture(Json.response(StatusCodes.METHOD_NOT_ALLOWED,
        new Json.Error(ErrorCode.BAD_REQUEST.name(), method + " is not allowed here; use " + allowed))
        .addHeader(RawHeader.create("Allow", allowed)));
  }

  private HttpResponse errorResponse(HttpRequest request, Throwable e) {
    Throwable cause = Failures.unwrap(e);
    ErrorCode code = TfsException.codeOf(cause);
    if (code == ErrorCode.INTERNAL) {
      if (cause instanceof org.apache.pekko.pattern.AskTimeoutException || cause instanceof java.util.concurrent.TimeoutException) {
        return Json.error(ErrorCode.UNAVAILABLE, "metadata did not answer in time; try again");
      }
      if (cause instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
        return Json.error(ErrorCode.INCOMPLETE_UPLOAD, "the request body ended early: " + cause.getMessage());
      }
      log.error("{} {} failed", request.method().name(), request.getUri().getPathString(), cause);
      return Json.error(ErrorCode.INTERNAL, "internal error; see the node's log");
    }
    return Json.error(code, cause.getMessage());
  }
}
