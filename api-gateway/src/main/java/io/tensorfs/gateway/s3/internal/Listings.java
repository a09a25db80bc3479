package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Access;
import io.tensorfs.sharding.auth.Operation;
import io.tensorfs.sharding.operator.NodeOperator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * ListObjects (v1), ListObjectsV2 and ListObjectVersions (an unversioned bucket: each key's one version,
 * id {@code null}), all over one {@link KeyWalk}. A v2 continuation token is the last key or prefix
 * returned, base64url. Thread-safe.
 */
final class Listings {
  private static final int MAX_KEYS = 1000;

  private final NodeOperator files;

  Listings(NodeOperator files) {
    this.files = files;
  }

  CompletionStage<HttpResponse> v1(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.LIST, dir);
    String prefix = c.r().param("prefix").orElse("");
    String delimiter = c.r().param("delimiter").orElse("");
    String marker = c.r().param("marker").orElse("");
    int maxKeys = maxKeys(c);
    boolean url = urlEncoding(c);
    return walk(c, dir, prefix, delimiter, marker, maxKeys).thenApply(items -> {
      boolean truncated = items.size() > maxKeys;
      List<KeyWalk.Item> shown = truncated ? items.subList(0, maxKeys) : items;
      Xml xml = Xml.root("ListBucketResult").element("Name", c.bucket()).element("Prefix", enc(prefix, url))
          .element("Marker", enc(marker, url)).element("MaxKeys", maxKeys);
      if (!delimiter.isEmpty()) xml.element("Delimiter", enc(delimiter, url));
      if (url) xml.element("EncodingType", "url");
      xml.element("IsTruncated", truncated);
      if (truncated) xml.element("NextMarker", enc(shown.get(shown.size() - 1).name(), url));
      contents(c, xml, shown, url, false);
      return Responses.ok(xml.end("ListBucketResult"));
    });
  }

  CompletionStage<HttpResponse> v2(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.LIST, dir);
    String prefix = c.r().param("prefix").orElse("");
    String delimiter = c.r().param("delimiter").orElse("");
    String startAfter = c.r().param("start-after").orElse("");
    String token = c.r().param("continuation-token").orElse(null);
    int maxKeys = maxKeys(c);
    boolean url = urlEncoding(c);
    boolean owner = c.r().param("fetch-owner").map("true"::equals).orElse(false);
    String after = startAfter;
    if (token != null) {
      String last = decodeToken(token);
      if (KeyOrder.compare(last, after) > 0) after = last;
    }
    return walk(c, dir, prefix, delimiter, after, maxKeys).thenApply(items -> {
      boolean truncated = items.size() > maxKeys;
      List<KeyWalk.Item> shown = truncated ? items.subList(0, maxKeys) : items;
      Xml xml = Xml.root("ListBucketResult").element("Name", c.bucket()).element("Prefix", enc(prefix, url))
          .element("MaxKeys", maxKeys).element("KeyCount", shown.size());
      if (!delimiter.isEmpty()) xml.element("Delimiter", enc(delimiter, url));
      if (url) xml.element("EncodingType", "url");
      xml.element("IsTruncated", truncated);
      if (token != null) xml.element("ContinuationToken", token);
      if (!startAfter.isEmpty()) xml.element("StartAfter", enc(startAfter, url));
      if (truncated) xml.element("NextContinuationToken", encodeToken(shown.get(shown.size() - 1).name()));
      contents(c, xml, shown, url, false, owner);
      return Responses.ok(xml.end("ListBucketResult"));
    });
  }

  CompletionStage<HttpResponse> versions(Call c, TfsPath dir) {
    Access.check(c.caller(), Operation.LIST, dir);
    String prefix = c.r().param("prefix").orElse("");
    String delimiter = c.r().param("delimiter").orElse("");
    String keyMarker = c.r().param("key-marker").orElse("");
    int maxKeys = maxKeys(c);
    boolean url = urlEncoding(c);
    return walk(c, dir, prefix, delimiter, keyMarker, maxKeys).thenApply(items -> {
      boolean truncated = items.size() > maxKeys;
      List<KeyWalk.Item> shown = truncated ? items.subList(0, maxKeys) : items;
      Xml xml = Xml.root("ListVersionsResult").element("Name", c.bucket()).element("Prefix", enc(prefix, url))
          .element("KeyMarker", enc(keyMarker, url)).element("VersionIdMarker", c.r().param("version-id-marker").orElse(""))
          .element("MaxKeys", maxKeys);
      if (!delimiter.isEmpty()) xml.element("Delimiter", enc(delimiter, url));
      if (url) xml.element("EncodingType", "url");
      xml.element("IsTruncated", truncated);
      if (truncated) {
        xml.element("NextKeyMarker", enc(shown.get(shown.size() - 1).name(), url)).element("NextVersionIdMarker", "null");
      }
      contents(c, xml, shown, url, true);
      return Responses.ok(xml.end("ListVersionsResult"));
    });
  }

  private CompletionStage<List<KeyWalk.Item>> walk(Call c, TfsPath dir, String prefix, String delimiter, String after,
      int maxKeys) {
    return Buckets.requireBucket(files, dir, c.bucket())
        .thenCompose(x -> new KeyWalk(files, prefix, delimiter, after, maxKeys).run(dir));
  }

  private static void contents(Call c, Xml xml, List<KeyWalk.Item> items, boolean url, boolean versions) {
    contents(c, xml, items, url, versions, true);
  }

  private static void contents(Call c, Xml xml, List<KeyWalk.Item> items, boolean url, boolean versions, boolean owner) {
    for (KeyWalk.Item item : items) {
      if (!(item instanceof KeyWalk.Key k)) continue;
      ObjectInfo info = ObjectInfo.of(k.version());
      String element = versions ? "Version" : "Contents";
      xml.open(element).element("Key", enc(k.name(), url));
      if (versions) xml.element("VersionId", "null").element("IsLatest", true);
      xml.element("LastModified", Responses.xmlDate(info.lastModifiedMillis())).element("ETag", info.quotedEtag())
          .element("Size", info.size())
          .element("StorageClass", info.headers().getOrDefault("x-amz-storage-class", "STANDARD"));
      if (owner) {
        xml.open("Owner").element("ID", c.caller().tokenId())
            .element("DisplayName", c.caller().tenantName().orElse("admin")).close("Owner");
      }
      xml.close(element);
    }
    for (KeyWalk.Item item : items) {
      if (item instanceof KeyWalk.Prefix p) xml.open("CommonPrefixes").element("Prefix", enc(p.name(), url)).close("CommonPrefixes");
    }
  }

  private static int maxKeys(Call c) {
    String v = c.r().param("max-keys").orElse(null);
    if (v == null) return MAX_KEYS;
    try {
      int n = Integer.parseInt(v.strip());
      if (n < 0) throw S3Exception.invalidArgument("max-keys must be 0 or more");
      return Math.min(n, MAX_KEYS);
    } catch (NumberFormatException e) {
      throw S3Exception.invalidArgument("max-keys must be a number");
    }
  }

  private static boolean urlEncoding(Call c) {
    String e = c.r().param("encoding-type").orElse(null);
    if (e == null) return false;
    if (!e.equals("url")) throw S3Exception.invalidArgument("Invalid Encoding Method specified in Request");
    return true;
  }

  private static String enc(String s, boolean url) {
    return url ? SigV4.encode(s, false) : s;
  }

  private static String encodeToken(String last) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeToken(String token) {
    try {
      return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw S3Exception.invalidArgument("The continuation token provided is incorrect");
    }
  }
}
