package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.auth.Caller;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * One authenticated S3 request on its way through the routes: the request as read, the full server's
 * request (its body), who it acts as and how it was signed. Immutable.
 *
 * @param claim      null for a request served with authentication off and no signature
 * @param signingKey null when signatures are not checked
 */
record Call(S3Request r, HttpRequest http, Caller caller, SigV4.Claim claim, byte[] signingKey) {
  static final String META_PREFIX = "x-amz-meta-";
  static final String POLICY_HEADER = "x-tfs-policy";

  String bucket() {
    return r.bucket().orElseThrow();
  }

  String key() {
    return r.key().orElseThrow();
  }

  /**
   * The request's {@code x-amz-meta-*} headers, names lower-case without the prefix, and the kept
   * representation headers ({@link #KEPT_HEADERS}, named {@code :<header>}).
   */
  Map<String, String> userMetadata() {
    Map<String, String> user = new LinkedHashMap<>();
    for (var e : r.headers().entrySet()) {
      if (e.getKey().startsWith(META_PREFIX) && e.getKey().length() > META_PREFIX.length()) {
        user.put(e.getKey().substring(META_PREFIX.length()), e.getValue());
      }
    }
    for (String h : KEPT_HEADERS) {
      String v = r.headers().get(h);
      if (v == null) continue;
      if (h.equals("x-amz-storage-class") && v.strip().equals("STANDARD")) continue; // the default, never echoed
      if (h.equals("content-encoding")) {
        // aws-chunked describes the request's body only, never the object.
        v = java.util.Arrays.stream(v.split(",")).map(String::strip).filter(t -> !t.equalsIgnoreCase("aws-chunked"))
            .collect(java.util.stream.Collectors.joining(","));
        if (v.isEmpty()) continue;
      }
      user.put(KEPT_PREFIX + h, v);
    }
    return user;
  }

  /**
   * Representation headers S3 keeps with an object and answers on GET and HEAD. They are kept among the
   * version's user metadata under a name starting with ':' (no header name can), apart from x-amz-meta-*.
   */
  static final java.util.List<String> KEPT_HEADERS = java.util.List.of("cache-control", "content-disposition",
      "content-encoding", "content-language", "expires", "x-amz-storage-class");
  static final String KEPT_PREFIX = ":";

  /** Content type and user metadata of a new object from this request's headers. */
  FileAttributes attributes(String md5Hex) {
    try {
      return new FileAttributes(FileAttributes.FILE_MODE, 0, 0, 0, Optional.ofNullable(r.contentType()).orElse(""),
          md5Hex, userMetadata());
    } catch (TfsException e) {
      throw new S3Exception(400, "MetadataTooLarge", e.getMessage());
    }
  }

  /** The storage policy the request names ({@code x-tfs-policy}), else {@code fallback}. */
  Policy policy(Policy fallback) {
    Optional<String> named = r.header(POLICY_HEADER);
    if (named.isEmpty()) return fallback;
    try {
      return Policy.parse(named.get().strip().toLowerCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw S3Exception.invalidArgument("x-tfs-policy: " + e.getMessage());
    }
  }
}
