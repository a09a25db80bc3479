package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.gateway.http.ByteRange;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.FileRead;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * PutObject, GetObject, HeadObject, DeleteObject and CopyObject over the node's operator. A PUT streams its
 * body through {@link PayloadChecks} into a new version that is sealed only when every check held, with its
 * MD5 (the ETag), content type and user metadata as the version's attributes. Thread-safe.
 */
final class ObjectRoutes {
  private final NodeOperator files;
  private final RouteSettings settings;
  private final Writes writes;

  ObjectRoutes(NodeOperator files, RouteSettings settings, Writes writes) {
    this.files = files;
    this.settings = settings;
    this.writes = writes;
  }

  CompletionStage<HttpResponse> put(Call c, TfsPath bucketDir) {
    TfsPath path = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.WRITE, path);
    if (c.r().header("x-amz-copy-source").isPresent()) return copy(c, bucketDir, path);
    Policy policy = c.policy(settings.defaultPolicy());
    Precondition precondition = c.r().header("if-none-match").map(String::strip).filter("*"::equals).isPresent()
        ? Precondition.CREATE_ONLY : Precondition.NONE;
    checkStorageClass(c);
    PayloadChecks checks = PayloadChecks.of(c.r().headers(), c.claim(), c.signingKey());
    FileAttributes given = c.attributes("");
    return Buckets.requireBucket(files, bucketDir, c.bucket()).thenCompose(x ->
        writes.put(path, policy, precondition, checks.dataLength(c.r().contentLength()),
            () -> withChecksum(withMd5(given, checks.md5Hex()), checks.verifiedChecksum()),
            c.http().entity().withoutSizeLimit().getDataBytes().via(checks.flow())))
        .thenApply(v -> {
          HttpResponse ok = Responses.empty(200).addHeader(RawHeader.create("ETag", ObjectInfo.of(v).quotedEtag()));
          return checks.verifiedChecksum().map(e -> ok.addHeader(RawHeader.create(e.getKey(), e.getValue()))).orElse(ok);
        });
  }

  private static final java.util.Set<String> STORAGE_CLASSES = java.util.Set.of("STANDARD", "REDUCED_REDUNDANCY",
      "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR");

  /** S3's storage classes are accepted and mean nothing here (the policy is x-tfs-policy); others are refused. */
  static void checkStorageClass(Call c) {
    String sc = c.r().headers().get("x-amz-storage-class");
    if (sc != null && !STORAGE_CLASSES.contains(sc.strip())) {
      throw new S3Exception(400, "InvalidStorageClass", "The storage class you specified is not valid: " + sc);
    }
  }

  /** The checksum a PUT sent and the body matched, kept like a representation header and answered on full reads. */
  static FileAttributes withChecksum(FileAttributes a, Optional<Map.Entry<String, String>> checksum) {
    if (checksum.isEmpty()) return a;
    Map<String, String> user = new java.util.LinkedHashMap<>(a.user());
    user.put(Call.KEPT_PREFIX + checksum.get().getKey(), checksum.get().getValue());
    return new FileAttributes(a.mode(), a.uid(), a.gid(), a.mtimeMillis(), a.contentType(), a.md5Hex(), user);
  }

  static FileAttributes withMd5(FileAttributes a, String md5Hex) {
    return new FileAttributes(a.mode(), a.uid(), a.gid(), a.mtimeMillis(), a.contentType(), md5Hex, a.user());
  }

  CompletionStage<HttpResponse> get(Call c, TfsPath bucketDir, boolean head) {
    TfsPath path = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.READ, path);
    if (c.r().has("partNumber")) throw S3Exception.notImplemented("GetObject of one part (partNumber)");
    return files.statForRead(path).exceptionallyCompose(e -> missing(e, bucketDir, c)).thenCompose(v -> {
      ObjectInfo info = ObjectInfo.of(v);
      switch (Conditions.evaluate(c.r().headers(), "", info)) {
        case FAILED -> throw new S3Exception(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        case NOT_MODIFIED -> {
          return CompletableFuture.completedFuture(Responses.empty(304)
              .addHeader(RawHeader.create("ETag", info.quotedEtag()))
              .addHeader(RawHeader.create("Last-Modified", Responses.httpDate(info.lastModifiedMillis()))));
        }
        default -> { }
      }
      String rangeHeader = c.r().headers().get("range");
      ByteRange range = ByteRange.parse(rangeHeader, v.size());
      if (range instanceof ByteRange.Unsatisfiable) {
        throw new S3Exception(416, "InvalidRange", "The requested range is not satisfiable");
      }
      long first = 0;
      long length = v.size();
      List<HttpHeader> extra = new ArrayList<>();
      int status = 200;
      if (range instanceof ByteRange.Slice s) {
        first = s.first();
        length = s.length();
        status = 206;
        extra.add(RawHeader.create("Content-Range", s.contentRange(v.size())));
      }
      ContentType type = contentType(c.r().param("response-content-type").orElse(info.contentType()));
      List<HttpHeader> headers = headers(c, v, info, extra);
      if (head || length == 0) {
        final int code = head ? 200 : status;
        final long len = length;
        return files.ensureReadable(v).thenApply(x -> HttpResponse.create().withStatus(StatusCodes.get(code))
            .withEntity(head && len > 0 ? HttpEntities.create(type, len, Source.<ByteString>empty())
                : HttpEntities.create(type, ByteString.emptyByteString()))
            .addHeaders(headers));
      }
      final int code = status;
      return files.openRead(v, first, length).thenApply((FileRead read) -> HttpResponse.create()
          .withStatus(StatusCodes.get(code))
          .withEntity(HttpEntities.create(type, read.length(), files.bytesOf(read)))
          .addHeaders(headers)
          .addHeader(RawHeader.create("X-Tfs-Cache", read.hit() ? "hit" : "miss")));
    });
  }

  /** NOT_FOUND of an object: NoSuchBucket when its bucket is missing too, else NoSuchKey. */
  private CompletionStage<FileVersion> missing(Throwable e, TfsPath bucketDir, Call c) {
    Throwable cause = Failures.unwrap(e);
    ErrorCode code = TfsException.codeOf(cause);
    if (code != ErrorCode.NOT_FOUND && code != ErrorCode.CONFLICT) return CompletableFuture.failedFuture(cause);
    return Buckets.requireBucket(files, bucketDir, c.bucket())
        .thenCompose(x -> CompletableFuture.failedFuture(S3Exception.noSuchKey(c.key())));
  }

  private static List<HttpHeader> headers(Call c, FileVersion v, ObjectInfo info, List<HttpHeader> extra) {
    List<HttpHeader> h = new ArrayList<>(extra);
    h.add(RawHeader.create("ETag", info.quotedEtag()));
    h.add(RawHeader.create("Last-Modified", Responses.httpDate(info.lastModifiedMillis())));
    h.add(RawHeader.create("Accept-Ranges", "bytes"));
    h.add(RawHeader.create("X-Tfs-Policy", v.policy().text()));
    for (Map.Entry<String, String> e : info.user().entrySet()) h.add(RawHeader.create(Call.META_PREFIX + e.getKey(), e.getValue()));
    for (String p : Call.KEPT_HEADERS) {
      String value = c.r().param("response-" + p).orElse(info.headers().get(p));
      if (value != null) h.add(RawHeader.create(p, value));
    }
    if (!c.r().headers().containsKey("range")) {
      // A whole object's checksum describes the whole object only: never answered with a part of it.
      for (String p : PayloadChecks.CHECKSUMS) {
        String value = info.headers().get(p);
        if (value != null) h.add(RawHeader.create(p, value));
      }
    }
    return h;
  }

  static ContentType contentType(String text) {
    try {
      return ContentTypes.parse(text);
    } catch (RuntimeException e) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
  }

  CompletionStage<HttpResponse> delete(Call c, TfsPath bucketDir) {
    TfsPath path = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.DELETE, path);
    return deleteQuietly(path).thenApply(x -> Responses.empty(204));
  }

  /** Deletes an object; one that is not there (or is a prefix of others) is deleted already, as S3 says. */
  CompletionStage<Void> deleteQuietly(TfsPath path) {
    return files.delete(path).handle((v, e) -> {
      if (e == null) return null;
      ErrorCode code = TfsException.codeOf(Failures.unwrap(e));
      if (code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT) return null;
      throw new java.util.concurrent.CompletionException(Failures.unwrap(e));
    });
  }

  /** CopyObject: the source's bytes streamed into a new version of the target (a copy, as S3 makes). */
  private CompletionStage<HttpResponse> copy(Call c, TfsPath bucketDir, TfsPath target) {
    CopySource src = CopySource.parse(c.r().headers().get("x-amz-copy-source"));
    TfsPath srcBucket = Namespace.bucket(c.caller(), src.bucket());
    TfsPath srcPath = Namespace.object(srcBucket, src.key());
    Access.check(c.caller(), Operation.READ, srcPath);
    boolean replace = c.r().header("x-amz-metadata-directive").map(d -> d.strip().equalsIgnoreCase("REPLACE")).orElse(false);
    Policy policy = c.policy(settings.defaultPolicy());
    return Buckets.requireBucket(files, bucketDir, c.bucket())
        .thenCompose(x -> files.stat(srcPath).exceptionallyCompose(e -> missingSource(e, srcBucket, src)))
        .thenCompose(v -> {
          ObjectInfo info = ObjectInfo.of(v);
          if (Conditions.evaluate(c.r().headers(), "x-amz-copy-source-", info) != Conditions.Outcome.HOLDS) {
            throw new S3Exception(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
          }
          FileAttributes attrs = replace ? c.attributes(info.etag()) : withMd5(v.attributes().withMtime(0), info.etag());
          if (srcPath.equals(target) && !replace) {
            throw S3Exception.invalidRequest("This copy request is illegal because it is trying to copy an object to "
                + "itself without changing the object's metadata, storage class, website redirect location or "
                + "encryption attributes.");
          }
          // Onto itself with new metadata too: a new version of the same bytes, so that every node's read lease
          // on the old one ends as for any write.
          PayloadChecks md5 = PayloadChecks.of(Map.of(), null, null);
          String known = v.attributes().md5Hex();
          Supplier<FileAttributes> atSeal = () -> withMd5(attrs, known.isEmpty() ? md5.md5Hex() : known);
          return writes.put(target, policy, Precondition.NONE, OptionalLong.of(v.size()), atSeal,
              files.read(v, 0, v.size()).via(md5.flow())).thenApply(ObjectRoutes::copyResult);
        });
  }

  private static HttpResponse copyResult(FileVersion v) {
    ObjectInfo info = ObjectInfo.of(v);
    return Responses.ok(Xml.root("CopyObjectResult")
        .element("LastModified", Responses.xmlDate(info.lastModifiedMillis()))
        .element("ETag", info.quotedEtag())
        .end("CopyObjectResult"));
  }

  private CompletionStage<FileVersion> missingSource(Throwable e, TfsPath srcBucket, CopySource src) {
    Throwable cause = Failures.unwrap(e);
    ErrorCode code = TfsException.codeOf(cause);
    if (code != ErrorCode.NOT_FOUND && code != ErrorCode.CONFLICT) return CompletableFuture.failedFuture(cause);
    return Buckets.requireBucket(files, srcBucket, src.bucket())
        .thenCompose(x -> CompletableFuture.failedFuture(S3Exception.noSuchKey(src.key())));
  }

  /** The {@code x-amz-copy-source} header: {@code [/]bucket/key[?versionId=...]}, percent-encoded. */
  record CopySource(String bucket, String key) {
    static CopySource parse(String header) {
      String h = header.strip();
      int q = h.indexOf('?');
      if (q >= 0) {
        String version = S3Request.parseQuery(h.substring(q + 1)).getOrDefault("versionId", "null");
        if (!version.equals("null")) throw S3Exception.notImplemented("copying a version other than the current (versioning)");
        h = h.substring(0, q);
      }
      String decoded = SigV4.percentDecode(h, false);
      if (decoded.startsWith("/")) decoded = decoded.substring(1);
      int slash = decoded.indexOf('/');
      if (slash <= 0 || slash == decoded.length() - 1) {
        throw S3Exception.invalidArgument("x-amz-copy-source must read bucket/key");
      }
      return new CopySource(decoded.substring(0, slash), decoded.substring(slash + 1));
    }
  }
}
