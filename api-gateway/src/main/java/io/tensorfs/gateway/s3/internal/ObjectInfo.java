package io.tensorfs.gateway.s3.internal;

import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.FileVersion;
import java.util.Map;

/**
 * What S3 says of one object's version: its ETag (the MD5 of its bytes, "hex-N" for a multipart upload; a
 * file written by another API without one reads as {@code "v<version>"}), content type, user metadata, the
 * representation headers kept with it (Content-Language, ...), size and last-modified time. Immutable.
 */
record ObjectInfo(String etag, String contentType, Map<String, String> user, Map<String, String> headers, long size,
    long lastModifiedMillis) {
  static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";

  static ObjectInfo of(FileVersion v) {
    FileAttributes a = v.attributes();
    String etag = a.md5Hex().isEmpty() ? "v" + v.version() : a.md5Hex();
    String type = a.contentType().isEmpty() ? DEFAULT_CONTENT_TYPE : a.contentType();
    // S3 answers Last-Modified in whole seconds: an If-Modified-Since copied from it must compare equal.
    long modified = (a.mtimeMillis() > 0 ? a.mtimeMillis() : v.sealedAtMillis()) / 1000 * 1000;
    java.util.Map<String, String> user = new java.util.TreeMap<>();
    java.util.Map<String, String> kept = new java.util.TreeMap<>();
    for (var e : a.user().entrySet()) {
      if (e.getKey().startsWith(Call.KEPT_PREFIX)) kept.put(e.getKey().substring(Call.KEPT_PREFIX.length()), e.getValue());
      else user.put(e.getKey(), e.getValue());
    }
    return new ObjectInfo(etag, type, user, kept, v.size(), modified);
  }

  String quotedEtag() {
    return "\"" + etag + "\"";
  }
}
