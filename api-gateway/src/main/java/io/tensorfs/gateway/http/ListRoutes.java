package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.sharding.operator.PageToken;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Directory listings over the node's operator:
 *
 * <pre>
 * GET    /v1/list/{dir}?limit=N&amp;after=TOKEN   one page, sorted by name: {"path","entries","next"};
 *                                            limit 1..10000 (default 1000), next null on the last page
 * DELETE /v1/list/{dir}?recursive=true        every file under dir, through the file delete: {"path","filesDeleted"}
 * </pre>
 *
 * Thread-safe.
 */
final class ListRoutes {
  static final String PREFIX = "/v1/list";

  private final NodeOperator files;

  ListRoutes(NodeOperator files) {
    this.files = files;
  }

  /** The request's body has been discarded. */
  CompletionStage<HttpResponse> route(HttpRequest request, String rawPath, Caller caller) {
    TfsPath dir = RawPath.after(PREFIX, rawPath, true);
    var query = request.getUri().query();
    if (request.method() == HttpMethods.GET) {
      Access.check(caller, Operation.LIST, dir);
      int limit = limit(query.get("limit").orElse(null));
      String after = PageToken.nameOf(query.get("after").orElse(null));
      return files.listPage(dir, after, limit).thenApply(page -> Json.response(StatusCodes.OK,
          Json.Listing.of(dir.toString(), page.entries(), page.lastName().map(PageToken::of).orElse(null))));
    }
    if (request.method() == HttpMethods.DELETE) {
      Access.check(caller, Operation.DELETE, dir);
      if (!query.get("recursive").map("true"::equals).orElse(false)) {
        throw new TfsException(ErrorCode.BAD_REQUEST,
            "deleting a directory deletes every file under it: say so with ?recursive=true");
      }
      if (dir.isRoot()) throw new TfsException(ErrorCode.BAD_REQUEST, "the root cannot be deleted");
      return files.deleteTree(dir).thenApply(n -> Json.response(StatusCodes.OK,
          new Json.TreeDeleted(dir.toString(), n)));
    }
    return HttpApi.methodNotAllowed(request.method().name(), "GET, DELETE");
  }

  private static int limit(String text) {
    if (text == null) return Metadata.Page.DEFAULT_LIMIT;
    try {
      int limit = Integer.parseInt(text);
      if (limit >= 1 && limit <= Metadata.Page.MAX_LIMIT) return limit;
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new TfsException(ErrorCode.BAD_REQUEST, "limit must be 1.." + Metadata.Page.MAX_LIMIT + ", not " + text);
  }
}
