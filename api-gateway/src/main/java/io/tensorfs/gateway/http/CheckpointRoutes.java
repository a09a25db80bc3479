package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.checkpoint.Checkpoints;
import io.tensorfs.sharding.checkpoint.Item;
import io.tensorfs.sharding.checkpoint.ItemRef;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.util.ByteString;

/**
 * The HTTP mirror of the checkpoint API under {@value #PREFIX}, over the node's {@link Checkpoints}. A
 * job is {@code /tenant/job} and a checkpoint {@code /tenant/job/step}, so the number of segments after
 * the prefix says what a path names: 2 a job, 3 a checkpoint, 4 a rank of it, 5 an item (its key one
 * URL-encoded segment, which may hold {@code %2F}).
 *
 * <pre>
 * POST   /v1/checkpoints/t/job/step?op=begin&amp;ranks=N[&amp;policy=..][&amp;keep_last=..]   201
 * PUT    /v1/checkpoints/t/job/step/{rank}/{key}[?offset=..][&amp;size=..]   body streamed   200
 * POST   /v1/checkpoints/t/job/step/{rank}?op=done
 * POST   /v1/checkpoints/t/job/step?op=commit | op=abort                    409 naming missing ranks
 * GET    /v1/checkpoints/t/job[?latest]             committed checkpoints, oldest first (or the newest)
 * POST   /v1/checkpoints/t/job?op=retain&amp;keep_last=N
 * GET    /v1/checkpoints/t/job/step[?manifest]      the manifest: state, ranks done, items
 * GET    /v1/checkpoints/t/job/step/{rank}/{key}    the item's bytes (committed checkpoints)
 * DELETE /v1/checkpoints/t/job/step
 * </pre>
 *
 * A PUT's item size is {@code ?size=}, else {@code ?offset=} plus the Content-Length. Thread-safe.
 */
final class CheckpointRoutes {
  static final String PREFIX = "/v1/checkpoints";

  private final ActorSystem<?> system;
  private final Checkpoints checkpoints;

  CheckpointRoutes(ActorSystem<?> system, Checkpoints checkpoints) {
    this.system = system;
    this.checkpoints = checkpoints;
  }

  /** Routes a request of {@code caller}, whose access to the job's tenant is checked before anything is looked up. */
  CompletionStage<HttpResponse> route(HttpRequest request, String rawPath, Caller caller) {
    List<String> s = RawPath.segmentsAfter(PREFIX, rawPath);
    HttpMethod method = request.method();
    Query query = request.getUri().query();
    if (!(s.size() == 5 && method == HttpMethods.PUT)) request.discardEntityBytes(system);
    if (s.size() >= 2) Access.check(caller, operation(method), new TfsPath(s.subList(0, 2)));
    switch (s.size()) {
      case 2 -> {
        TfsPath job = new TfsPath(s);
        if (method == HttpMethods.GET) {
          if (query.get("latest").isPresent()) return checkpoints.latest(job).thenApply(c -> ok(CheckpointJson.Info.of(c, false)));
          return checkpoints.list(job).thenApply(all -> ok(CheckpointJson.Listing.of(job.toString(), all)));
        }
        if (method == HttpMethods.POST && op(query).equals("retain")) {
          return checkpoints.retain(job, intParam(query, "keep_last", -1))
              .thenApply(all -> ok(CheckpointJson.Listing.of(job.toString(), all)));
        }
        return notAllowed(method, "GET, POST ?op=retain");
      }
      case 3 -> {
        TfsPath name = new TfsPath(s);
        if (method == HttpMethods.GET) return checkpoints.describe(name).thenApply(c -> ok(CheckpointJson.Info.of(c, true)));
        if (method == HttpMethods.DELETE) return checkpoints.delete(name).thenApply(c -> ok(CheckpointJson.Info.of(c, false)));
        if (method != HttpMethods.POST) return notAllowed(method, "GET, POST, DELETE");
        return switch (op(query)) {
          case "begin" -> checkpoints.begin(name, intParam(query, "ranks", -1),
                  Policy.parse(query.get("policy").orElse("persistent")), intParam(query, "keep_last", 0))
              .thenApply(c -> Json.response(StatusCodes.CREATED, CheckpointJson.Info.of(c, false)));
          case "commit" -> checkpoints.commit(name).thenApply(c -> ok(CheckpointJson.Info.of(c, false)));
          case "abort" -> checkpoints.abort(name).thenApply(c -> ok(CheckpointJson.Info.of(c, false)));
          default -> throw bad("POST on a checkpoint needs ?op=begin, commit or abort");
        };
      }
      case 4 -> {
        if (method != HttpMethods.POST || !op(query).equals("done")) return notAllowed(method, "POST ?op=done");
        return checkpoints.rankDone(new TfsPath(s.subList(0, 3)), rank(s.get(3)))
            .thenApply(c -> ok(CheckpointJson.Info.of(c, true)));
      }
      case 5 -> {
        TfsPath name = new TfsPath(s.subList(0, 3));
        int rank = rank(s.get(3));
        String key = s.get(4);
        if (method == HttpMethods.PUT) return put(request, query, name, rank, key);
        if (method == HttpMethods.GET) return get(name, rank, key);
        return notAllowed(method, "GET, PUT");
      }
      default -> throw new TfsException(ErrorCode.BAD_PATH, "checkpoint paths are " + PREFIX
          + "/tenant/job[/step[/rank[/key]]], not " + rawPath);
    }
  }

  /** GET reads; DELETE deletes; POST (begin, done, commit, abort, retain) and PUT write. */
  private static Operation operation(HttpMethod method) {
    if (method == HttpMethods.GET || method == HttpMethods.HEAD) return Operation.READ;
    if (method == HttpMethods.DELETE) return Operation.DELETE;
    return Operation.WRITE;
  }

  private CompletionStage<HttpResponse> put(HttpRequest request, Query query, TfsPath name, int rank, String key) {
    long offset = longParam(query, "offset", 0);
    OptionalLong length = request.entity().getContentLengthOption();
    OptionalLong size = query.get("size").isPresent() ? OptionalLong.of(longParam(query, "size", -1))
        : length.isPresent() ? OptionalLong.of(offset + length.getAsLong()) : OptionalLong.empty();
    return checkpoints.saveItem(name, rank, key, offset, size, request.entity().withoutSizeLimit().getDataBytes())
        .thenApply(item -> ok(CheckpointJson.ItemState.of(item)));
  }

  private CompletionStage<HttpResponse> get(TfsPath name, int rank, String key) {
    return checkpoints.describe(name).thenApply(c -> {
      if (!c.committed()) throw new TfsException(ErrorCode.NOT_FOUND, name + " is not committed");
      Item item = c.item(rank, key).orElseThrow(() -> new TfsException(ErrorCode.NOT_FOUND,
          name + " has no item rank " + rank + " '" + key + "'"));
      var bytes = checkpoints.restore(name, List.of(new ItemRef(rank, key)))
          .filter(p -> p.item().isEmpty())
          .map(p -> p.bytes());
      return HttpResponse.create()
          .withEntity(item.sizeBytes() == 0
              ? HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, ByteString.emptyByteString())
              : HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, item.sizeBytes(), bytes))
          .addHeader(RawHeader.create("X-Tfs-Crc32c", io.tensorfs.core.Crc32c.hex(item.crc32c())));
    });
  }

  private static HttpResponse ok(Object body) {
    return Json.response(StatusCodes.OK, body);
  }

  private static String op(Query query) {
    return query.get("op").orElse("");
  }

  private static int rank(String text) {
    try {
      int rank = Integer.parseInt(text);
      if (rank >= 0) return rank;
    } catch (NumberFormatException e) {
      // below
    }
    throw bad("a rank is a number from 0, not '" + text + "'");
  }

  private static int intParam(Query query, String name, int otherwise) {
    long v = longParam(query, name, otherwise);
    if (v > Integer.MAX_VALUE) throw bad(name + " " + v + " is too large");
    return (int) v;
  }

  private static long longParam(Query query, String name, long otherwise) {
    Optional<String> text = query.get(name);
    if (text.isEmpty()) return otherwise;
    try {
      long v = Long.parseLong(text.get());
      if (v >= 0) return v;
    } catch (NumberFormatException e) {
      // below
    }
    throw bad(name + " must be a number from 0, not '" + text.get() + "'");
  }

  private static CompletionStage<HttpResponse> notAllowed(HttpMethod method, String allowed) {
    return java.util.concurrent.CompletableFuture.completedFuture(Json.response(StatusCodes.METHOD_NOT_ALLOWED,
        new Json.Error(ErrorCode.BAD_REQUEST.name(), method.name() + " is not allowed here; use " + allowed))
        .addHeader(RawHeader.create("Allow", allowed)));
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
