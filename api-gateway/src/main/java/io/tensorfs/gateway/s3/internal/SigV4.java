package io.tensorfs.gateway.s3.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * AWS Signature Version 4 as S3 uses it: the request's claim parsed from an {@code Authorization} header or
 * from a presigned URL's query, and checked against the secret key of the access key it names. The
 * canonical request follows AWS's rules: the path re-encoded once (S3 does not double-encode), the query
 * sorted and encoded, the signed headers trimmed with inner runs of spaces collapsed. Stateless.
 */
public final class SigV4 {
  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  static final String STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  static final String STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
  static final String STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final Duration MAX_SKEW = Duration.ofMinutes(15);
  private static final long MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

  private SigV4() {}

  /**
   * What a request claims: its access key, scope, signed headers and signature, and the payload hash it
   * signed ({@code x-amz-content-sha256}, or UNSIGNED-PAYLOAD for a presigned URL).
   */
  public record Claim(String accessKey, String date, String region, String service, List<String> signedHeaders,
      String signature, String amzDate, String payloadHash, boolean presigned, long expiresSeconds) {
    String scope() {
      return date + "/" + region + "/" + service + "/aws4_request";
    }
  }

  /** The claim of a request; empty when it carries none (anonymous). Throws S3Exception when malformed. */
  public static Optional<Claim> claim(Map<String, String> headers, Map<String, String> query) {
    String auth = headers.get("authorization");
    if (auth != null) return Optional.of(headerClaim(auth, headers));
    if (query.containsKey("X-Amz-Algorithm") || query.containsKey("X-Amz-Signature")) {
      return Optional.of(queryClaim(query));
    }
    if (query.containsKey("Signature") && query.containsKey("AWSAccessKeyId")) {
      throw S3Exception.notImplemented("Signature Version 2");
    }
    return Optional.empty();
  }

  private static Claim headerClaim(String auth, Map<String, String> headers) {
    if (!auth.startsWith(ALGORITHM + " ")) {
      if (auth.startsWith("AWS ")) throw S3Exception.notImplemented("Signature Version 2");
      throw malformed("the Authorization header must start with " + ALGORITHM);
    }
    String credential = null;
    String signed = null;
    String signature = null;
    for (String part : auth.substring(ALGORITHM.length() + 1).split(",")) {
      String p = part.strip();
      int eq = p.indexOf('=');
      if (eq < 0) continue;
      String name = p.substring(0, eq);
      String value = p.substring(eq + 1);
      switch (name) {
        case "Credential" -> credential = value;
        case "SignedHeaders" -> signed = value;
        case "Signature" -> signature = value;
        default -> { }
      }
    }
    if (credential == null || signed == null || signature == null) {
      throw malformed("the Authorization header needs Credential, SignedHeaders and Signature");
    }
    String amzDate = headers.get("x-amz-date");
    if (amzDate == null) amzDate = headers.get("date");
    if (amzDate == null) throw new S3Exception(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
    String payload = headers.getOrDefault("x-amz-content-sha256", null);
    if (payload == null) {
      throw new S3Exception(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    }
    return build(credential, signed, signature, amzDate, payload, false, 0);
  }

  private static Claim queryClaim(Map<String, String> q) {
    if (!ALGORITHM.equals(q.get("X-Amz-Algorithm"))) throw malformed("X-Amz-Algorithm must be " + ALGORITHM);
    String credential = q.get("X-Amz-Credential");
    String signed = q.get("X-Amz-SignedHeaders");
    String signature = q.get("X-Amz-Signature");
    String amzDate = q.get("X-Amz-Date");
    String expires = q.get("X-Amz-Expires");
    if (credential == null || signed == null || signature == null || amzDate == null || expires == null) {
      throw new S3Exception(400, "AuthorizationQueryParametersError",
          "a presigned URL needs X-Amz-Credential, X-Amz-SignedHeaders, X-Amz-Signature, X-Amz-Date and X-Amz-Expires");
    }
    long seconds;
    try {
      seconds = Long.parseLong(expires);
    } catch (NumberFormatException e) {
      throw new S3Exception(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be a number of seconds");
    }
    if (seconds < 0 || seconds > MAX_PRESIGN_SECONDS) {
      throw new S3Exception(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 0 and 604800");
    }
    return build(credential, signed, signature, amzDate, UNSIGNED_PAYLOAD, true, seconds);
  }

  private static Claim build(String credential, String signed, String signature, String amzDate, String payload,
      boolean presigned, long expires) {
    String[] c = credential.split("/");
    if (c.length != 5 || !c[4].equals("aws4_request")) {
      throw malformed("the credential must read <access key>/<date>/<region>/<service>/aws4_request");
    }
    List<String> names = List.of(signed.toLowerCase(Locale.ROOT).split(";"));
    return new Claim(c[0], c[1], c[2], c[3], names, signature, amzDate, payload, presigned, expires);
  }

  /**
   * Checks {@code claim} on the request with {@code secretKey}; throws S3Exception (SignatureDoesNotMatch,
   * RequestTimeTooSkewed, AccessDenied for an expired URL) when it does not hold.
   *
   * @param rawPath          the path as sent, still percent-encoded
   * @param rawQuery         the query as sent (without '?'), or ""
   * @param headerCandidates each signed header's values as they may have been sent (most likely first); a
   *                         header with several candidates is tried with each
   */
  public static void verify(Claim claim, String method, String rawPath, String rawQuery,
      Map<String, List<String>> headerCandidates, String secretKey, Instant now) {
    Instant signedAt = parseDate(claim.amzDate());
    if (claim.presigned()) {
      if (now.isAfter(signedAt.plusSeconds(claim.expiresSeconds()))) {
        throw S3Exception.accessDenied("Request has expired");
      }
      if (signedAt.isAfter(now.plus(MAX_SKEW))) throw skewed();
    } else if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
      throw skewed();
    }
    if (!claim.amzDate().startsWith(claim.date()) && claim.amzDate().length() == 16) {
      throw malformed("the credential's date " + claim.date() + " is not the request's date");
    }
    if (!claim.signedHeaders().contains("host")) throw malformed("the signed headers must include host");
    String canonicalUri = canonicalUri(rawPath);
    String canonicalQuery = canonicalQuery(rawQuery, claim.presigned());
    byte[] key = signingKey(secretKey, claim);
    List<List<String>> combos = combinations(claim.signedHeaders(), headerCandidates);
    for (List<String> values : combos) {
      StringBuilder canonical = new StringBuilder(512)
          .append(method).append('\n').append(canonicalUri).append('\n').append(canonicalQuery).append('\n');
      for (int i = 0; i < values.size(); i++) {
        canonical.append(claim.signedHeaders().get(i)).append(':').append(values.get(i)).append('\n');
      }
      canonical.append('\n').append(String.join(";", claim.signedHeaders())).append('\n').append(claim.payloadHash());
      String toSign = ALGORITHM + "\n" + claim.amzDate() + "\n" + claim.scope() + "\n" + Hashes.sha256Hex(canonical.toString());
      String expected = Hashes.HEX.formatHex(Hashes.hmac(key, toSign));
      if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
          claim.signature().getBytes(StandardCharsets.US_ASCII))) {
        return;
      }
    }
    throw S3Exception.signatureMismatch("Check your key and signing method.");
  }

  /** The key that signs a request and its chunks: HMAC chain over date, region, service. */
  static byte[] signingKey(String secretKey, Claim claim) {
    byte[] k = Hashes.hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), claim.date());
    k = Hashes.hmac(k, claim.region());
    k = Hashes.hmac(k, claim.service());
    return Hashes.hmac(k, "aws4_request");
  }

  /** Every choice of one candidate per signed header (usually one). */
  private static List<List<String>> combinations(List<String> names, Map<String, List<String>> candidates) {
    List<List<String>> out = new ArrayList<>();
    out.add(new ArrayList<>());
    for (String name : names) {
      List<String> values = candidates.getOrDefault(name, List.of(""));
      List<List<String>> next = new ArrayList<>();
      for (List<String> prefix : out) {
        for (String v : values) {
          List<String> l = new ArrayList<>(prefix);
          l.add(trimAll(v));
          next.add(l);
          if (next.size() > 16) break;
        }
      }
      out = next;
    }
    return out;
  }

  static String trimAll(String value) {
    return value.strip().replaceAll(" +", " ");
  }

  static Instant parseDate(String amzDate) {
    try {
      return LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      try {
        return java.time.ZonedDateTime.parse(amzDate, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      } catch (DateTimeParseException e2) {
        throw S3Exception.accessDenied("AWS authentication requires a valid Date or x-amz-date header");
      }
    }
  }

  static String canonicalUri(String rawPath) {
    String path = rawPath.isEmpty() ? "/" : rawPath;
    return encode(percentDecode(path, false), false);
  }

  static String canonicalQuery(String rawQuery, boolean dropSignature) {
    if (rawQuery == null || rawQuery.isEmpty()) return "";
    TreeMap<String, List<String>> sorted = new TreeMap<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      String name = percentDecode(eq < 0 ? pair : pair.substring(0, eq), true);
      String value = eq < 0 ? "" : percentDecode(pair.substring(eq + 1), true);
      if (dropSignature && name.equals("X-Amz-Signature")) continue;
      sorted.computeIfAbsent(encode(name, true), k -> new ArrayList<>()).add(encode(value, true));
    }
    StringBuilder out = new StringBuilder();
    for (var e : sorted.entrySet()) {
      List<String> values = e.getValue();
      values.sort(null);
      for (String v : values) {
        if (out.length() > 0) out.append('&');
        out.append(e.getKey()).append('=').append(v);
      }
    }
    return out.toString();
  }

  /** AWS's URI encoding: unreserved characters kept, '/' kept unless {@code slash}, every other byte %XX. */
  static String encode(String s, boolean slash) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '.' || c == '~' || (c == '/' && !slash)) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Decodes %XX escapes as UTF-8 bytes; in a query, '+' is a space. Malformed escapes stay as they are. */
  public static String percentDecode(String s, boolean plusIsSpace) {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) return s;
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  private static S3Exception malformed(String why) {
    return new S3Exception(400, "AuthorizationHeaderMalformed", why);
  }

  private static S3Exception skewed() {
    return new S3Exception(403, "RequestTimeTooSkewed",
        "The difference between the request time and the server's time is too large.");
  }

  /** Current time in SigV4's format, for tests. */
  static String amzDate(Instant t) {
    return AMZ_DATE.format(t.atOffset(ZoneOffset.UTC));
  }
}
