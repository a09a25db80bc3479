package io.tensorfs.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 for the benchmark's raw S3 requests, written from the AWS specification (not
 * the server's code, so the two check each other): the headers a path-style request to an S3 endpoint
 * must carry, its payload sent unsigned ({@code UNSIGNED-PAYLOAD}, as SDKs do over TLS) so a large body
 * streams without being hashed first. Immutable; any thread.
 */
record S3Signer(String accessKey, String secretKey, String region) {
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  /**
   * The request head's lines to add (each ending in CRLF): {@code x-amz-date}, {@code x-amz-content-sha256}
   * and {@code Authorization}, signing those, {@code host} and {@code extraHeaders} (lower-case names).
   * {@code path} is the URI path as sent (already percent-encoded), {@code query} the raw query ("" none).
   */
  String headLines(String method, String host, String path, String query, Map<String, String> extraHeaders) {
    String amzDate = ZonedDateTime.now(ZoneOffset.UTC).format(AMZ_DATE);
    String day = amzDate.substring(0, 8);
    TreeMap<String, String> headers = new TreeMap<>(extraHeaders);
    headers.put("host", host);
    headers.put("x-amz-content-sha256", UNSIGNED_PAYLOAD);
    headers.put("x-amz-date", amzDate);
    StringBuilder canonicalHeaders = new StringBuilder();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      canonicalHeaders.append(h.getKey()).append(':').append(h.getValue().strip()).append('\n');
    }
    String signedHeaders = String.join(";", headers.keySet());
    String canonicalRequest = method + "\n" + path + "\n" + canonicalQuery(query) + "\n" + canonicalHeaders + "\n"
        + signedHeaders + "\n" + UNSIGNED_PAYLOAD;
    String scope = day + "/" + region + "/s3/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonicalRequest));
    byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), day);
    key = hmac(key, region);
    key = hmac(key, "s3");
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, toSign));
    StringBuilder lines = new StringBuilder();
    for (Map.Entry<String, String> h : extraHeaders.entrySet()) lines.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    return lines.append("x-amz-date: ").append(amzDate).append("\r\n")
        .append("x-amz-content-sha256: ").append(UNSIGNED_PAYLOAD).append("\r\n")
        .append("Authorization: AWS4-HMAC-SHA256 Credential=").append(accessKey).append('/').append(scope)
        .append(", SignedHeaders=").append(signedHeaders).append(", Signature=").append(signature).append("\r\n")
        .toString();
  }

  /** The query's parameters sorted by name, each {@code name=value} (values as given, already encoded). */
  private static String canonicalQuery(String query) {
    if (query.isEmpty()) return "";
    TreeMap<String, String> params = new TreeMap<>();
    for (String p : query.split("&")) {
      int eq = p.indexOf('=');
      params.put(eq < 0 ? p : p.substring(0, eq), eq < 0 ? "" : p.substring(eq + 1));
    }
    StringBuilder b = new StringBuilder();
    params.forEach((k, v) -> b.append(b.length() == 0 ? "" : "&").append(k).append('=').append(v));
    return b.toString();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
