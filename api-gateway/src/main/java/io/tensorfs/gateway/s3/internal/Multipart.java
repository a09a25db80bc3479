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
import io.tensorfs.sharding.Metadata;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts and ListMultipartUploads. An upload is a directory
 * {@code <root>/.s3-uploads/<bucket>/<upload id>/} holding its record ({@code upload}, see
 * {@link UploadInfo}) and one file per part ({@code part-00001}, its MD5 the part's ETag). Complete streams
 * the parts, in order, into a new version of the key (a copy of their bytes) whose ETag is the MD5 of the
 * parts' MD5s with {@code -N}, then deletes the upload's directory. Thread-safe.
 */
final class Multipart {
  private static final String INFO = "upload";
  private static final int MAX_PART = 10_000;
  private static final long MAX_BODY_BYTES = 4 * 1024 * 1024;
  private static final long BODY_TIMEOUT_MILLIS = 60_000;

  private final NodeOperator files;
  private final RouteSettings settings;
  private final Writes writes;
  private final ActorSystem<?> system;
  private final SecureRandom random = new SecureRandom();

  Multipart(ActorSystem<?> system, NodeOperator files, RouteSettings settings, Writes writes) {
    this.system = system;
    this.files = files;
    this.settings = settings;
    this.writes = writes;
  }

  private TfsPath uploadDir(Call c, String uploadId) {
    if (uploadId.isEmpty() || !uploadId.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      throw S3Exception.noSuchUpload(uploadId);
    }
    return Namespace.uploads(c.caller(), c.bucket()).child(uploadId);
  }

  CompletionStage<HttpResponse> create(Call c, TfsPath bucketDir) {
    TfsPath target = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.WRITE, target);
    ObjectRoutes.checkStorageClass(c);
    Policy policy = c.policy(settings.defaultPolicy());
    FileAttributes attrs = c.attributes("");
    byte[] id = new byte[16];
    random.nextBytes(id);
    String uploadId = Hashes.HEX.formatHex(id);
    UploadInfo info = new UploadInfo(c.key(), System.currentTimeMillis(), attrs.contentType(), attrs.user(), policy.text());
    byte[] json = info.toJson();
    TfsPath infoPath = uploadDir(c, uploadId).child(INFO);
    return Buckets.requireBucket(files, bucketDir, c.bucket())
        .thenCompose(x -> writes.put(infoPath, Policy.PERSISTENT, Precondition.CREATE_ONLY, OptionalLong.of(json.length),
            FileAttributes::defaults, Source.single(ByteString.fromArray(json))))
        .thenApply(v -> Responses.ok(Xml.root("InitiateMultipartUploadResult").element("Bucket", c.bucket())
            .element("Key", c.key()).element("UploadId", uploadId).end("InitiateMultipartUploadResult")));
  }

  /** The upload's record, checked to be an upload of the request's key: another key's id is NoSuchUpload. */
  private CompletionStage<UploadInfo> info(Call c, String uploadId) {
    return anyInfo(c, uploadId).thenApply(info -> {
      if (!info.key().equals(c.key())) throw S3Exception.noSuchUpload(uploadId);
      return info;
    });
  }

  /** The upload's record, whatever its key (for ListMultipartUploads, which names no key). */
  private CompletionStage<UploadInfo> anyInfo(Call c, String uploadId) {
    TfsPath infoPath = uploadDir(c, uploadId).child(INFO);
    return files.stat(infoPath).handle((v, e) -> {
      if (e == null) return v;
      ErrorCode code = TfsException.codeOf(Failures.unwrap(e));
      if (code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT) throw S3Exception.noSuchUpload(uploadId);
      throw new CompletionException(Failures.unwrap(e));
    }).thenCompose(v -> files.read(v, 0, v.size())
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), Materializer.matFromSystem(system)))
        .thenApply(bytes -> UploadInfo.parse(bytes.toArray()));
  }

  private static int partNumber(Call c) {
    try {
      int n = Integer.parseInt(c.r().param("partNumber").orElse("").strip());
      if (n < 1 || n > MAX_PART) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw S3Exception.invalidArgument("Part number must be an integer between 1 and " + MAX_PART + ", inclusive");
    }
  }

  private static String partName(int n) {
    return String.format("part-%05d", n);
  }

  CompletionStage<HttpResponse> uploadPart(Call c, TfsPath bucketDir) {
    TfsPath target = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.WRITE, target);
    String uploadId = c.r().param("uploadId").orElseThrow();
    int number = partNumber(c);
    TfsPath partPath = uploadDir(c, uploadId).child(partName(number));
    if (c.r().header("x-amz-copy-source").isPresent()) return uploadPartCopy(c, uploadId, partPath);
    PayloadChecks checks = PayloadChecks.of(c.r().headers(), c.claim(), c.signingKey());
    return info(c, uploadId).thenCompose(info -> writes.put(partPath, Policy.parse(info.policy()), Precondition.NONE,
            checks.dataLength(c.r().contentLength()),
            () -> ObjectRoutes.withMd5(FileAttributes.defaults(), checks.md5Hex()),
            c.http().entity().withoutSizeLimit().getDataBytes().via(checks.flow())))
        .thenApply(v -> Responses.empty(200).addHeader(RawHeader.create("ETag", ObjectInfo.of(v).quotedEtag())));
  }

  private CompletionStage<HttpResponse> uploadPartCopy(Call c, String uploadId, TfsPath partPath) {
    ObjectRoutes.CopySource src = ObjectRoutes.CopySource.parse(c.r().headers().get("x-amz-copy-source"));
    TfsPath srcBucket = Namespace.bucket(c.caller(), src.bucket());
    TfsPath srcPath = Namespace.object(srcBucket, src.key());
    Access.check(c.caller(), Operation.READ, srcPath);
    return info(c, uploadId).thenCompose(info -> files.stat(srcPath).handle((v, e) -> {
      if (e == null) return v;
      ErrorCode code = TfsException.codeOf(Failures.unwrap(e));
      if (code == ErrorCode.NOT_FOUND || code == ErrorCode.CONFLICT) throw S3Exception.noSuchKey(src.key());
      throw new CompletionException(Failures.unwrap(e));
    }).thenCompose(v -> {
      ObjectInfo srcInfo = ObjectInfo.of(v);
      if (Conditions.evaluate(c.r().headers(), "x-amz-copy-source-", srcInfo) != Conditions.Outcome.HOLDS) {
        throw new S3Exception(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
      long first = 0;
      long length = v.size();
      String rangeHeader = c.r().headers().get("x-amz-copy-source-range");
      if (rangeHeader != null) {
        ByteRange r = ByteRange.parse(rangeHeader, v.size());
        if (!(r instanceof ByteRange.Slice s) || s.last() >= v.size()) {
          throw S3Exception.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last "
              + "where first and last are the zero-based offsets of the first and last bytes to copy");
        }
        first = s.first();
        length = s.length();
      }
      PayloadChecks md5 = PayloadChecks.of(Map.of(), null, null);
      return writes.put(partPath, Policy.parse(info.policy()), Precondition.NONE, OptionalLong.of(length),
          () -> ObjectRoutes.withMd5(FileAttributes.defaults(), md5.md5Hex()),
          files.read(v, first, length).via(md5.flow()));
    })).thenApply(v -> {
      ObjectInfo part = ObjectInfo.of(v);
      return Responses.ok(Xml.root("CopyPartResult").element("LastModified", Responses.xmlDate(part.lastModifiedMillis()))
          .element("ETag", part.quotedEtag()).end("CopyPartResult"));
    });
  }

  CompletionStage<HttpResponse> complete(Call c, TfsPath bucketDir) {
    TfsPath target = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.WRITE, target);
    String uploadId = c.r().param("uploadId").orElseThrow();
    TfsPath dir = uploadDir(c, uploadId);
    Materializer mat = Materializer.matFromSystem(system);
    return c.http().entity().withSizeLimit(MAX_BODY_BYTES).toStrict(BODY_TIMEOUT_MILLIS, mat)
        .thenCompose(body -> {
          List<XmlBodies.PartRef> wanted = XmlBodies.completeParts(body.getData().toArray());
          return info(c, uploadId).thenCompose(info -> parts(dir).thenCompose(have -> {
            List<FileVersion> chosen = choose(wanted, have);
            MessageDigest md5s = Hashes.md5();
            long total = 0;
            Source<ByteString, ?> all = Source.empty();
            for (FileVersion p : chosen) {
              md5s.update(Hashes.HEX.parseHex(p.attributes().md5Hex()));
              total += p.size();
              all = all.concat(files.read(p, 0, p.size()));
            }
            String etag = Hashes.HEX.formatHex(md5s.digest()) + "-" + chosen.size();
            FileAttributes attrs = new FileAttributes(FileAttributes.FILE_MODE, 0, 0, 0, info.contentType(), etag, info.user());
            return writes.put(target, Policy.parse(info.policy()), Precondition.NONE, OptionalLong.of(total),
                () -> attrs, all);
          }));
        })
        .thenCompose(v -> files.deleteTree(dir).handle((n, e) -> v))
        .thenApply(v -> Responses.ok(Xml.root("CompleteMultipartUploadResult")
            .element("Location", "/" + c.bucket() + "/" + c.key()).element("Bucket", c.bucket())
            .element("Key", c.key()).element("ETag", ObjectInfo.of(v).quotedEtag())
            .end("CompleteMultipartUploadResult")));
  }

  /** The parts the client named, checked against those uploaded: order, ETags, sizes. */
  private List<FileVersion> choose(List<XmlBodies.PartRef> wanted, Map<Integer, FileVersion> have) {
    List<FileVersion> chosen = new ArrayList<>();
    int last = 0;
    for (int i = 0; i < wanted.size(); i++) {
      XmlBodies.PartRef ref = wanted.get(i);
      if (ref.number() <= last) {
        throw new S3Exception(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be "
            + "ordered by part number.");
      }
      last = ref.number();
      FileVersion p = have.get(ref.number());
      if (p == null || !p.attributes().md5Hex().equals(ref.etag())) {
        throw new S3Exception(400, "InvalidPart", "One or more of the specified parts could not be found. The part "
            + "may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
      }
      if (i < wanted.size() - 1 && p.size() < settings.minPartBytes()) {
        throw new S3Exception(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed "
            + "object size: part " + ref.number() + " has " + p.size() + " bytes, every part but the last needs "
            + settings.minPartBytes());
      }
      chosen.add(p);
    }
    return chosen;
  }

  /** The parts uploaded so far, by number. */
  private CompletionStage<Map<Integer, FileVersion>> parts(TfsPath dir) {
    return allListed(dir, null, new ArrayList<>()).thenApply(listed -> {
      Map<Integer, FileVersion> parts = new HashMap<>();
      for (Metadata.Listed l : listed) {
        if (!l.name().startsWith("part-") || l.version().isEmpty()) continue;
        try {
          parts.put(Integer.parseInt(l.name().substring(5)), l.version().get());
        } catch (NumberFormatException e) {
          // not a part
        }
      }
      return parts;
    });
  }

  private CompletionStage<List<Metadata.Listed>> allListed(TfsPath dir, String after, List<Metadata.Listed> so) {
    return files.listVersions(dir, after, 1000).handle((page, e) -> {
      if (e != null) {
        if (TfsException.codeOf(Failures.unwrap(e)) == ErrorCode.NOT_FOUND) return CompletableFuture.completedFuture(so);
        return CompletableFuture.<List<Metadata.Listed>>failedFuture(Failures.unwrap(e));
      }
      so.addAll(page.entries());
      if (page.lastName().isEmpty()) return CompletableFuture.completedFuture(so);
      return allListed(dir, page.lastName().get(), so);
    }).thenCompose(s -> s);
  }

  CompletionStage<HttpResponse> abort(Call c, TfsPath bucketDir) {
    TfsPath target = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.DELETE, target);
    String uploadId = c.r().param("uploadId").orElseThrow();
    return info(c, uploadId).thenCompose(info -> files.deleteTree(uploadDir(c, uploadId)))
        .thenApply(n -> Responses.empty(204));
  }

  CompletionStage<HttpResponse> listParts(Call c, TfsPath bucketDir) {
    TfsPath target = Namespace.object(bucketDir, c.key());
    Access.check(c.caller(), Operation.READ, target);
    String uploadId = c.r().param("uploadId").orElseThrow();
    int marker = intParam(c, "part-number-marker", 0);
    int max = Math.min(intParam(c, "max-parts", 1000), 1000);
    return info(c, uploadId).thenCompose(info -> parts(uploadDir(c, uploadId))).thenApply(parts -> {
      List<Integer> numbers = new ArrayList<>(parts.keySet());
      numbers.sort(null);
      numbers.removeIf(n -> n <= marker);
      boolean truncated = numbers.size() > max;
      List<Integer> shown = truncated ? numbers.subList(0, max) : numbers;
      Xml xml = Xml.root("ListPartsResult").element("Bucket", c.bucket()).element("Key", c.key())
          .element("UploadId", uploadId).element("StorageClass", "STANDARD")
          .element("PartNumberMarker", marker).element("MaxParts", max).element("IsTruncated", truncated);
      if (!shown.isEmpty()) xml.element("NextPartNumberMarker", shown.get(shown.size() - 1));
      for (int n : shown) {
        ObjectInfo p = ObjectInfo.of(parts.get(n));
        xml.open("Part").element("PartNumber", n).element("LastModified", Responses.xmlDate(p.lastModifiedMillis()))
            .element("ETag", p.quotedEtag()).element("Size", p.size()).close("Part");
      }
      return Responses.ok(xml.end("ListPartsResult"));
    });
  }

  CompletionStage<HttpResponse> listUploads(Call c, TfsPath bucketDir) {
    Access.check(c.caller(), Operation.LIST, bucketDir);
    String prefix = c.r().param("prefix").orElse("");
    String delimiter = c.r().param("delimiter").orElse("");
    String keyMarker = c.r().param("key-marker").orElse("");
    String idMarker = c.r().param("upload-id-marker").orElse("");
    int max = Math.min(intParam(c, "max-uploads", 1000), 1000);
    TfsPath root = Namespace.uploads(c.caller(), c.bucket());
    record Upload(String id, UploadInfo info) {}
    return Buckets.requireBucket(files, bucketDir, c.bucket()).thenCompose(x -> allListed(root, null, new ArrayList<>()))
        .thenCompose(listed -> {
          List<CompletableFuture<Upload>> all = new ArrayList<>();
          for (Metadata.Listed l : listed) {
            all.add(anyInfo(c, l.name()).thenApply(i -> new Upload(l.name(), i)).toCompletableFuture().exceptionally(e -> null));
          }
          return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Upload> uploads = new ArrayList<>();
            for (var f : all) {
              Upload u = f.getNow(null);
              if (u == null || !u.info().key().startsWith(prefix)) continue;
              int cmp = KeyOrder.compare(u.info().key(), keyMarker);
              if (!keyMarker.isEmpty() && (cmp < 0 || (cmp == 0 && (idMarker.isEmpty() || u.id().compareTo(idMarker) <= 0)))) continue;
              uploads.add(u);
            }
            uploads.sort(Comparator.comparing((Upload u) -> u.info().key(), KeyOrder.BYTEWISE)
                .thenComparingLong(u -> u.info().initiatedMillis()));
            Xml xml = Xml.root("ListMultipartUploadsResult").element("Bucket", c.bucket())
                .element("KeyMarker", keyMarker).element("UploadIdMarker", idMarker).element("Prefix", prefix);
            if (!delimiter.isEmpty()) xml.element("Delimiter", delimiter);
            List<String> prefixes = new ArrayList<>();
            List<Upload> shown = new ArrayList<>();
            for (Upload u : uploads) {
              if (shown.size() + prefixes.size() >= max) break;
              int at = delimiter.isEmpty() ? -1 : u.info().key().indexOf(delimiter, prefix.length());
              if (at >= 0) {
                String p = u.info().key().substring(0, at + delimiter.length());
                if (!prefixes.contains(p)) prefixes.add(p);
              } else {
                shown.add(u);
              }
            }
            boolean truncated = shown.size() + prefixes.size() < uploads.size() && shown.size() + prefixes.size() >= max;
            xml.element("MaxUploads", max).element("IsTruncated", truncated);
            if (truncated && !shown.isEmpty()) {
              Upload lastShown = shown.get(shown.size() - 1);
              xml.element("NextKeyMarker", lastShown.info().key()).element("NextUploadIdMarker", lastShown.id());
            }
            for (Upload u : shown) {
              xml.open("Upload").element("Key", u.info().key()).element("UploadId", u.id())
                  .open("Initiator").element("ID", c.caller().tokenId()).element("DisplayName", c.caller().tokenId()).close("Initiator")
                  .open("Owner").element("ID", c.caller().tokenId()).element("DisplayName", c.caller().tokenId()).close("Owner")
                  .element("StorageClass", "STANDARD").element("Initiated", Responses.xmlDate(u.info().initiatedMillis()))
                  .close("Upload");
            }
            for (String p : prefixes) xml.open("CommonPrefixes").element("Prefix", p).close("CommonPrefixes");
            return Responses.ok(xml.end("ListMultipartUploadsResult"));
          });
        });
  }

  private static int intParam(Call c, String name, int fallback) {
    String v = c.r().param(name).orElse(null);
    if (v == null || v.isEmpty()) return fallback;
    try {
      int n = Integer.parseInt(v.strip());
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw S3Exception.invalidArgument(name + " must be a number of 0 or more");
    }
  }
}
