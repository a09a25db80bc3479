package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.metrics.RequestMetrics;
import io.tensorfs.gateway.auth.S3Keys;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.operator.NodeOperator;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3 API's request handler (README: "S3 API"), served by the full HTTP server behind the S3 port's front
 * door: authenticates each request by its SigV4 signature ({@link Authenticator}), routes it by method,
 * bucket, key and sub-resource to the operation, and writes every failure as S3's XML error. Sub-resources
 * tensorfs does not serve (policies, ACLs, tagging, versioning changes, ...) answer 501 NotImplemented.
 * Thread-safe.
 */
public final class S3Api {
  private static final Logger log = LoggerFactory.getLogger(S3Api.class);
  /** Bucket sub-resources answered NotImplemented, by name. */
  private static final Set<String> UNSUPPORTED = Set.of("policy", "acl", "tagging", "lifecycle", "encryption",
      "object-lock", "notification", "replication", "cors", "website", "logging", "retention", "legal-hold",
      "accelerate", "requestPayment", "analytics", "inventory", "metrics", "intelligent-tiering",
      "ownershipControls", "publicAccessBlock", "select", "restore", "torrent", "policyStatus", "attributes");

  private final ActorSystem<?> system;
  private final NodeStatus node;
  private final RouteSettings settings;
  private final Authenticator auth;
  private final Buckets buckets;
  private final ObjectRoutes objects;
  private final Listings listings;
  private final Multipart multipart;
  private final BatchDelete batchDelete;

  public S3Api(ActorSystem<?> system, NodeOperator files, NodeStatus node, Tokens tokens, S3Keys keys,
      RouteSettings settings) {
    this.system = system;
    this.node = node;
    this.settings = settings;
    this.auth = new Authenticator(tokens, keys, Clock.systemUTC());
    Writes writes = new Writes(files, settings.chunkSizeBytes(), settings.maxObjectBytes());
    this.buckets = new Buckets(files, settings.region());
    this.objects = new ObjectRoutes(files, settings, writes);
    this.listings = new Listings(files);
    this.multipart = new Multipart(system, files, settings, writes);
    this.batchDelete = new BatchDelete(system, files, objects);
  }

  Authenticator authenticator() {
    return auth;
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    long startNanos = System.nanoTime();
    String method = request.method().name();
    S3Request[] parsed = new S3Request[1];
    CompletionStage<HttpResponse> answer;
    try {
      parsed[0] = S3Request.of(request, settings.domains());
      answer = route(request, parsed[0]);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.exceptionally(e -> {
      request.discardEntityBytes(system);
      return error(method, parsed[0], request, e);
    }).whenComplete((r, e) -> RequestMetrics.answered("s3", operation(method, parsed[0]),
        r != null ? Integer.toString(r.status().intValue()) : "500", startNanos));
  }

  private HttpResponse error(String method, S3Request r, HttpRequest request, Throwable e) {
    S3Exception s3 = S3Errors.of(e, r == null ? "" : r.bucket().orElse(""), r == null ? null : r.key().orElse(null));
    if (s3 == null) {
      log.error("S3 {} {} failed", method, request.getUri().getPathString(), Failures.unwrap(e));
      s3 = new S3Exception(500, "InternalError", "internal error; see the node's log");
    }
    return Responses.error(s3, method, r == null ? request.getUri().getPathString() : r.resource());
  }

  private CompletionStage<HttpResponse> route(HttpRequest request, S3Request r) {
    if (!node.ready()) throw new S3Exception(503, "ServiceUnavailable", "node " + node.nodeId() + " is starting; try again shortly");
    if (r.method().equals("POST") && r.key().isEmpty() && r.bucket().isPresent() && !r.has("delete")) {
      throw S3Exception.notImplemented("browser-based uploads (POST with a policy)");
    }
    return auth.authenticate(r).thenCompose(a -> {
      Call c = new Call(r, request, a.caller(), a.claim(), a.signingKey());
      if (!request.method().name().equals("PUT") && !request.method().name().equals("POST")) {
        request.discardEntityBytes(system);
      }
      if (r.bucket().isEmpty()) return service(c);
      TfsPath bucketDir = Namespace.bucket(c.caller(), c.bucket());
      return r.key().isEmpty() ? bucket(c, bucketDir) : object(c, bucketDir);
    });
  }

  private CompletionStage<HttpResponse> service(Call c) {
    if (c.r().method().equals("GET")) return buckets.list(c);
    throw methodNotAllowed(c);
  }

  private CompletionStage<HttpResponse> bucket(Call c, TfsPath dir) {
    S3Request r = c.r();
    for (String sub : r.query().keySet()) {
      if (UNSUPPORTED.contains(sub)) throw S3Exception.notImplemented("the bucket sub-resource '" + sub + "'");
    }
    switch (r.method()) {
      case "GET" -> {
        if (r.has("location")) return buckets.location(c, dir);
        if (r.has("versioning")) return buckets.versioning(c, dir);
        if (r.has("uploads")) return multipart.listUploads(c, dir);
        if (r.has("versions")) return listings.versions(c, dir);
        if (r.param("list-type").map("2"::equals).orElse(false)) return listings.v2(c, dir);
        return listings.v1(c, dir);
      }
      case "PUT" -> {
        if (r.has("versioning")) throw S3Exception.notImplemented("bucket versioning");
        c.http().discardEntityBytes(system);
        return buckets.create(c, dir);
      }
      case "HEAD" -> {
        return buckets.head(c, dir);
      }
      case "DELETE" -> {
        return buckets.delete(c, dir);
      }
      case "POST" -> {
        if (r.has("delete")) return batchDelete.run(c, dir);
        throw methodNotAllowed(c);
      }
      default -> throw methodNotAllowed(c);
    }
  }

  private CompletionStage<HttpResponse> object(Call c, TfsPath bucketDir) {
    S3Request r = c.r();
    for (String sub : r.query().keySet()) {
      if (UNSUPPORTED.contains(sub)) throw S3Exception.notImplemented("the object sub-resource '" + sub + "'");
    }
    if (r.has("versionId") && !r.param("versionId").orElse("").equals("null")) {
      throw S3Exception.notImplemented("addressing an object's version (versioning)");
    }
    switch (r.method()) {
      case "PUT" -> {
        if (r.has("uploadId")) return multipart.uploadPart(c, bucketDir);
        return objects.put(c, bucketDir);
      }
      case "GET" -> {
        if (r.has("uploadId")) return multipart.listParts(c, bucketDir);
        return objects.get(c, bucketDir, false);
      }
      case "HEAD" -> {
        return objects.get(c, bucketDir, true);
      }
      case "DELETE" -> {
        if (r.has("uploadId")) return multipart.abort(c, bucketDir);
        return objects.delete(c, bucketDir);
      }
      case "POST" -> {
        if (r.has("uploads")) {
          c.http().discardEntityBytes(system);
          return multipart.create(c, bucketDir);
        }
        if (r.has("uploadId")) return multipart.complete(c, bucketDir);
        throw methodNotAllowed(c);
      }
      default -> throw methodNotAllowed(c);
    }
  }

  private static S3Exception methodNotAllowed(Call c) {
    return new S3Exception(405, "MethodNotAllowed", "The specified method is not allowed against this resource: "
        + c.r().method() + " " + c.r().resource());
  }

  /** A low-cardinality name of the operation, for metrics. */
  private static String operation(String method, S3Request r) {
    if (r == null) return "s3.bad";
    if (r.bucket().isEmpty()) return "s3.service." + method.toLowerCase(java.util.Locale.ROOT);
    return (r.key().isEmpty() ? "s3.bucket." : "s3.object.") + method.toLowerCase(java.util.Locale.ROOT);
  }

  static List<String> unsupportedSubresources() {
    return List.copyOf(UNSUPPORTED);
  }
}
