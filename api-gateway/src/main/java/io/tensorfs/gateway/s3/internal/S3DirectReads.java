package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.front.BodyPiece;
import io.tensorfs.gateway.front.BodySource;
import io.tensorfs.gateway.front.DirectReads;
import io.tensorfs.gateway.front.DirectResponse;
import io.tensorfs.gateway.http.ByteRange;
import io.tensorfs.gateway.http.FileReadBody;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * GetObject and HeadObject for the S3 port's front door, answered from the cache's pages as file GETs are:
 * the same headers and bytes as {@link S3Api}, which answers instead (the request handed over) whenever
 * this is not a plain read of a readable object: an access key not yet known on this node, a signature that
 * does not check, sub-resources or response overrides in the query, unmet conditions, unsatisfiable ranges,
 * errors. So every S3 error is written in one place. Thread-safe.
 */
public final class S3DirectReads implements DirectReads {
  private final NodeOperator files;
  private final NodeStatus node;
  private final Authenticator auth;
  private final RouteSettings settings;

  public S3DirectReads(NodeOperator files, NodeStatus node, S3Api api, RouteSettings settings) {
    this.files = files;
    this.node = node;
    this.auth = api.authenticator();
    this.settings = settings;
  }

  /** Any object path; the service and buckets (a single segment) go to the full server. */
  @Override
  public boolean serves(String rawTarget) {
    return rawTarget.startsWith("/");
  }

  @Override
  public CompletionStage<Optional<DirectResponse>> open(String method, String rawTarget, Map<String, String> headers) {
    if (!node.ready()) return handOver();
    S3Request r;
    TfsPath path;
    Authenticator.Authenticated who;
    try {
      r = S3Request.of(method, rawTarget, headers, settings.domains(), OptionalLong.empty(), headers.get("content-type"));
      if (r.bucket().isEmpty() || r.key().isEmpty()) return handOver();
      for (String name : r.query().keySet()) if (!name.startsWith("X-Amz-")) return handOver();
      who = auth.cached(r);
      if (who == null) return handOver();
      path = Namespace.object(Namespace.bucket(who.caller(), r.bucket().get()), r.key().get());
    } catch (RuntimeException e) {
      return handOver();
    }
    if (!Access.allows(who.caller(), Operation.READ, path)) return handOver();
    boolean head = method.equals("HEAD");
    return files.statForRead(path).thenCompose(v -> {
      ObjectInfo info = ObjectInfo.of(v);
      if (Conditions.evaluate(headers, "", info) != Conditions.Outcome.HOLDS) return handOver();
      if (head) {
        return files.ensureReadable(v).thenApply(x -> Optional.<DirectResponse>of(
            new Response(200, headers(v, info, null), v.size(), EMPTY)));
      }
      ByteRange range = ByteRange.parse(headers.get("range"), v.size());
      if (range instanceof ByteRange.Unsatisfiable) return handOver();
      long first = 0;
      long length = v.size();
      int status = 200;
      String contentRange = null;
      if (range instanceof ByteRange.Slice s) {
        first = s.first();
        length = s.length();
        status = 206;
        contentRange = s.contentRange(v.size());
      }
      final int code = status;
      final String cr = contentRange;
      return files.openRead(v, first, length).thenApply(read -> {
        List<Map.Entry<String, String>> h = headers(v, info, cr);
        h.add(Map.entry("X-Tfs-Cache", read.hit() ? "hit" : "miss"));
        return Optional.<DirectResponse>of(new Response(code, h, read.length(), new FileReadBody(read)));
      });
    }).exceptionally(e -> Optional.empty());
  }

  private static List<Map.Entry<String, String>> headers(FileVersion v, ObjectInfo info, String contentRange) {
    List<Map.Entry<String, String>> h = new ArrayList<>();
    h.add(Map.entry("Content-Type", info.contentType()));
    h.add(Map.entry("ETag", info.quotedEtag()));
    h.add(Map.entry("Last-Modified", Responses.httpDate(info.lastModifiedMillis())));
    h.add(Map.entry("Accept-Ranges", "bytes"));
    h.add(Map.entry("X-Tfs-Policy", v.policy().text()));
    for (var e : info.user().entrySet()) h.add(Map.entry(Call.META_PREFIX + e.getKey(), e.getValue()));
    for (var e : info.headers().entrySet()) {
      // A whole object's checksum describes the whole object only: never answered with a part of it.
      if (contentRange != null && PayloadChecks.CHECKSUMS.contains(e.getKey())) continue;
      h.add(Map.entry(e.getKey(), e.getValue()));
    }
    if (contentRange != null) h.add(Map.entry("Content-Range", contentRange));
    return h;
  }

  private static CompletionStage<Optional<DirectResponse>> handOver() {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  private record Response(int status, List<Map.Entry<String, String>> headers, long contentLength, BodySource body)
      implements DirectResponse {}

  private static final BodySource EMPTY = new BodySource() {
    @Override
    public CompletionStage<BodyPiece> next() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
  };
}
