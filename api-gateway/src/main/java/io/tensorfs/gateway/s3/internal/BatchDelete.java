package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;

/**
 * DeleteObjects ({@code POST /bucket?delete}): up to 1000 keys, each deleted on its own; each answered
 * Deleted (a missing key too, as S3 does) or Error with its S3 code. Thread-safe.
 */
final class BatchDelete {
  private static final long MAX_BODY_BYTES = 2 * 1024 * 1024;

  private final ActorSystem<?> system;
  private final NodeOperator files;
  private final ObjectRoutes objects;

  BatchDelete(ActorSystem<?> system, NodeOperator files, ObjectRoutes objects) {
    this.system = system;
    this.files = files;
    this.objects = objects;
  }

  CompletionStage<HttpResponse> run(Call c, TfsPath bucketDir) {
    return c.http().entity().withSizeLimit(MAX_BODY_BYTES).toStrict(60_000, Materializer.matFromSystem(system))
        .thenCompose(body -> {
          PayloadChecks checks = PayloadChecks.of(c.r().headers(), c.claim(), c.signingKey());
          return org.apache.pekko.stream.javadsl.Source.single(body.getData()).via(checks.flow())
              .runWith(org.apache.pekko.stream.javadsl.Sink.fold(org.apache.pekko.util.ByteString.emptyByteString(),
                  org.apache.pekko.util.ByteString::concat), Materializer.matFromSystem(system));
        })
        .thenCompose(data -> {
          XmlBodies.DeleteRequest req = XmlBodies.delete(data.toArray());
          return Buckets.requireBucket(files, bucketDir, c.bucket()).thenCompose(x -> {
            List<CompletableFuture<String>> results = new ArrayList<>();
            for (XmlBodies.ObjectRef o : req.objects()) results.add(deleteOne(c, bucketDir, o).toCompletableFuture());
            return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(y -> {
              StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult xmlns=\"")
                  .append(Xml.NS).append("\">");
              for (int i = 0; i < results.size(); i++) {
                String error = results.get(i).getNow(null);
                XmlBodies.ObjectRef o = req.objects().get(i);
                if (error == null) {
                  if (!req.quiet()) xml.append(fragment("Deleted", o, null, null));
                } else {
                  int bar = error.indexOf('|');
                  xml.append(fragment("Error", o, error.substring(0, bar), error.substring(bar + 1)));
                }
              }
              return Responses.ok(xml.append("</DeleteResult>").toString());
            });
          });
        });
  }

  /** Null when deleted, else "Code|Message". */
  private CompletionStage<String> deleteOne(Call c, TfsPath bucketDir, XmlBodies.ObjectRef o) {
    try {
      if (o.versionId() != null && !o.versionId().equals("null")) {
        throw S3Exception.notImplemented("deleting a version other than the current (versioning)");
      }
      TfsPath path = Namespace.object(bucketDir, o.key());
      Access.check(c.caller(), Operation.DELETE, path);
      return objects.deleteQuietly(path).handle((v, e) -> e == null ? null : describe(e, c, o));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(describe(e, c, o));
    }
  }

  private static String describe(Throwable e, Call c, XmlBodies.ObjectRef o) {
    S3Exception s3 = S3Errors.of(e, c.bucket(), o.key());
    return s3 == null ? "InternalError|internal error; see the node's log" : s3.code() + "|" + s3.getMessage();
  }

  private static String fragment(String element, XmlBodies.ObjectRef o, String code, String message) {
    Xml x = Xml.plainRoot(element).element("Key", o.key());
    if (o.versionId() != null) x.element("VersionId", o.versionId());
    if (code != null) x.element("Code", code).element("Message", message);
    String s = x.end(element);
    return s.substring(s.indexOf("?>") + 2);
  }
}
