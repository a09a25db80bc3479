package io.tensorfs.gateway.http;

import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.front.BodyPiece;
import io.tensorfs.gateway.front.BodySource;
import io.tensorfs.gateway.front.DirectReads;
import io.tensorfs.gateway.front.DirectResponse;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.ReadPiece;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * File GET and HEAD for the front door, answered from the cache's pages: the same headers and bytes
 * as {@link HttpApi}, whose answer is used instead (by handing the request over) for anything but a
 * readable file: errors, unsatisfiable ranges, a node still starting, and preconditions (If-Match,
 * If-None-Match) that do not hold on the version found here or cannot be parsed, so that the 304 and
 * 412 answers are written in one place.
 *
 * <p>A request is answered here when its token verifies ({@link Tokens#cached} for one seen on this node
 * before, else {@link Tokens#authenticate}) and its caller may read the path. Any other request (no token,
 * an unknown, wrong or revoked one, another tenant's path) is handed over, so the 401 and 403 answers
 * come from {@link HttpApi} too.
 */
public final class FileDirectReads implements DirectReads {
  private final NodeOperator files;
  private final NodeStatus node;
  private final Tokens tokens;

  /** Without authentication (every request acts as admin): for tests of the reads alone. */
  public FileDirectReads(NodeOperator files, NodeStatus node) {
    this(files, node, Tokens.off());
  }

  public FileDirectReads(NodeOperator files, NodeStatus node, Tokens tokens) {
    this.files = files;
    this.node = node;
    this.tokens = tokens;
  }

  @Override
  public CompletionStage<Optional<DirectResponse>> open(String method, String rawTarget, Map<String, String> headers) {
    if (!node.ready()) return handOver();
    TfsPath path;
    try {
      path = RawPath.after(HttpApi.FILES, RawPath.pathOf(rawTarget), false);
    } catch (RuntimeException badPath) {
      return handOver();
    }
    Precondition precondition;
    try {
      precondition = ConditionalHeaders.parse(headers.get("if-match"), headers.get("if-none-match"));
    } catch (RuntimeException badHeader) {
      return handOver();
    }
    return caller(headers).thenCompose(caller -> Access.allows(caller, Operation.READ, path)
        ? answer(path, precondition, method.equals("HEAD"), headers.get("range"))
        : handOver()).exceptionally(e -> Optional.empty());
  }

  private CompletionStage<Optional<DirectResponse>> answer(TfsPath path, Precondition precondition, boolean head,
      String rangeHeader) {
    return files.statForRead(path).thenCompose(v -> {
      if (precondition.evaluate(OptionalLong.of(v.version())) != Precondition.Outcome.HOLDS) return handOver();
      if (head) {
        return files.ensureReadable(v).thenApply(x -> Optional.<DirectResponse>of(
            new Response(200, baseHeaders(v, null), v.size(), EMPTY)));
      }
      ByteRange range = ByteRange.parse(rangeHeader, v.size());
      if (range instanceof ByteRange.Unsatisfiable) return handOver();
      long first = 0;
      long length = v.size();
      int status = 200;
      String contentRange = null;
      if (range instanceof ByteRange.Slice s) {
        first = s.first();
        length = s.length();
        status = 206;
        contentRange = "bytes " + s.first() + "-" + s.last() + "/" + v.size();
      }
      final int code = status;
      final String cr = contentRange;
      return files.openRead(v, first, length).thenApply(read -> {
        List<Map.Entry<String, String>> h = baseHeaders(v, cr);
        h.add(Map.entry(HttpApi.CACHE_HEADER, read.hit() ? "hit" : "miss"));
        return Optional.<DirectResponse>of(new Response(code, h, read.length(), new FileReadBody(read)));
      });
    });
  }

  /**
   * Who sent the request: at once for a token verified here before; otherwise verified now (the first
   * request with a token on this node is answered here too). Fails for no token or one that does not
   * verify, and the request is then handed over for its 401.
   */
  private CompletionStage<Caller> caller(Map<String, String> headers) {
    String token = Tokens.bearerToken(headers.get("authorization"));
    Caller known = tokens.cached(token);
    return known != null ? CompletableFuture.completedFuture(known) : tokens.authenticate(token);
  }

  private static List<Map.Entry<String, String>> baseHeaders(FileVersion v, String contentRange) {
    List<Map.Entry<String, String>> h = new ArrayList<>();
    h.add(Map.entry("Content-Type", "application/octet-stream"));
    h.add(Map.entry("ETag", "\"" + v.version() + "\""));
    h.add(Map.entry("Accept-Ranges", "bytes"));
    h.add(Map.entry("X-Tfs-Policy", v.policy().text()));
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
