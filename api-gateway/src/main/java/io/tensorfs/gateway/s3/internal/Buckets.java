package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.DirEntry;
import io.tensorfs.sharding.DirInfo;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation and GetBucketVersioning. A bucket is
 * an explicit directory (it stays when emptied) directly under the caller's root. Thread-safe.
 */
final class Buckets {
  private final NodeOperator files;
  private final String region;

  Buckets(NodeOperator files, String region) {
    this.files = files;
    this.region = region;
  }

  /** Completes when {@code dir} is a bucket (a directory); NoSuchBucket otherwise. */
  static CompletionStage<DirInfo> requireBucket(NodeOperator files, TfsPath dir, String bucket) {
    return files.statDir(dir).handle((info, e) -> {
      if (e == null) return info;
      Throwable cause = Failures.unwrap(e);
      ErrorCode code = TfsException.codeOf(cause);
      if (code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT) throw S3Exception.noSuchBucket(bucket);
      throw new CompletionException(cause);
    });
  }

  CompletionStage<HttpResponse> list(Call c) {
    TfsPath root = Namespace.root(c.caller());
    if (!root.isRoot()) Access.check(c.caller(), Operation.LIST, root);
    return allDirs(root, null, new ArrayList<>()).thenCompose(names -> {
      List<CompletableFuture<DirInfo>> infos = new ArrayList<>();
      for (String n : names) infos.add(files.statDir(root.child(n)).toCompletableFuture().exceptionally(e -> null));
      return CompletableFuture.allOf(infos.toArray(CompletableFuture[]::new)).thenApply(x -> {
        Xml xml = Xml.root("ListAllMyBucketsResult").open("Owner").element("ID", c.caller().tokenId())
            .element("DisplayName", c.caller().tenantName().orElse("admin")).close("Owner").open("Buckets");
        for (int i = 0; i < names.size(); i++) {
          DirInfo info = infos.get(i).getNow(null);
          long created = info == null ? 0 : info.attributes().mtimeMillis();
          xml.open("Bucket").element("Name", names.get(i)).element("CreationDate", Responses.xmlDate(created)).close("Bucket");
        }
        return Responses.ok(xml.close("Buckets").end("ListAllMyBucketsResult"));
      });
    });
  }

  private CompletionStage<List<String>> allDirs(TfsPath root, String after, List<String> so) {
    return files.listPage(root, after, 1000).handle((page, e) -> {
      if (e != null) {
        if (TfsException.codeOf(Failures.unwrap(e)) == ErrorCode.NOT_FOUND) return CompletableFuture.completedFuture(so);
        return CompletableFuture.<List<String>>failedFuture(Failures.unwrap(e));
      }
      for (DirEntry d : page.entries()) {
        if (d.type() == DirEntry.Type.DIR && !d.name().startsWith(".")) so.add(d.name());
      }
      if (page.lastName().isEmpty()) return CompletableFuture.completedFuture(so);
      return allDirs(root, page.lastName().get(), so);
    }).thenCompose(s -> s);
  }

  CompletionStage<HttpResponse> create(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.WRITE, dir);
    if (c.r().header("x-amz-bucket-object-lock-enabled").map(v -> v.strip().equalsIgnoreCase("true")).orElse(false)) {
      throw S3Exception.notImplemented("object lock");
    }
    if (!Namespace.validNewBucket(c.bucket())) {
      throw new S3Exception(400, "InvalidBucketName", "The specified bucket is not valid: " + c.bucket()
          + " (3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit)");
    }
    return files.mkdir(dir, FileAttributes.directoryDefaults().withMtime(System.currentTimeMillis())).handle((x, e) -> {
      if (e == null) return Responses.empty(200).addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Location", "/" + c.bucket()));
      Throwable cause = Failures.unwrap(e);
      if (TfsException.codeOf(cause) == ErrorCode.CONFLICT) {
        throw new S3Exception(409, "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.");
      }
      throw new CompletionException(cause);
    });
  }

  CompletionStage<HttpResponse> head(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.READ, dir);
    return requireBucket(files, dir, c.bucket()).thenApply(x -> Responses.empty(200)
        .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("x-amz-bucket-region", region)));
  }

  CompletionStage<HttpResponse> delete(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.DELETE, dir);
    return files.rmdir(dir).handle((x, e) -> {
      if (e == null) return Responses.empty(204);
      Throwable cause = Failures.unwrap(e);
      ErrorCode code = TfsException.codeOf(cause);
      if (code == ErrorCode.NOT_FOUND) throw S3Exception.noSuchBucket(c.bucket());
      if (code == ErrorCode.CONFLICT) {
        throw new S3Exception(409, "BucketNotEmpty", "The bucket you tried to delete is not empty");
      }
      throw new CompletionException(cause);
    }).thenCompose(r -> files.deleteTree(Namespace.uploads(c.caller(), c.bucket()))
        .handle((n, e) -> r));
  }

  CompletionStage<HttpResponse> location(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.READ, dir);
    return requireBucket(files, dir, c.bucket()).thenApply(x -> Responses.ok(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint xmlns=\"" + Xml.NS + "\">"
            + (region.equals("us-east-1") ? "" : region) + "</LocationConstraint>"));
  }

  CompletionStage<HttpResponse> versioning(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.READ, dir);
    return requireBucket(files, dir, c.bucket()).thenApply(x -> Responses.ok(
        Xml.root("VersioningConfiguration").end("VersioningConfiguration")));
  }
}
