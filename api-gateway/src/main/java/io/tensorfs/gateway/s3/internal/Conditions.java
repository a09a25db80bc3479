package io.tensorfs.gateway.s3.internal;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * S3's conditional GET/HEAD and copy-source checks on an object's ETag and Last-Modified: If-Match failing
 * is 412; If-None-Match matching is 304 (412 for a copy source); If-Modified-Since not modified is 304 (only
 * without If-None-Match); If-Unmodified-Since modified is 412 (only without If-Match). Stateless.
 */
final class Conditions {
  enum Outcome { HOLDS, NOT_MODIFIED, FAILED }

  private Conditions() {}

  /** The outcome of the headers named {@code prefix + "if-match"} etc. (prefix "" or "x-amz-copy-source-"). */
  static Outcome evaluate(Map<String, String> headers, String prefix, ObjectInfo info) {
    String ifMatch = headers.get(prefix + "if-match");
    String ifNoneMatch = headers.get(prefix + "if-none-match");
    String ifModifiedSince = headers.get(prefix + "if-modified-since");
    String ifUnmodifiedSince = headers.get(prefix + "if-unmodified-since");
    if (ifMatch != null && !matches(ifMatch, info.etag())) return Outcome.FAILED;
    if (ifMatch == null && ifUnmodifiedSince != null) {
      Long t = date(ifUnmodifiedSince);
      if (t != null && info.lastModifiedMillis() > t) return Outcome.FAILED;
    }
    if (ifNoneMatch != null && matches(ifNoneMatch, info.etag())) return Outcome.NOT_MODIFIED;
    if (ifNoneMatch == null && ifModifiedSince != null) {
      Long t = date(ifModifiedSince);
      if (t != null && info.lastModifiedMillis() <= t) return Outcome.NOT_MODIFIED;
    }
    return Outcome.HOLDS;
  }

  private static boolean matches(String header, String etag) {
    for (String part : header.split(",")) {
      String p = part.strip();
      if (p.equals("*")) return true;
      if (p.startsWith("W/")) p = p.substring(2);
      if (p.length() >= 2 && p.startsWith("\"") && p.endsWith("\"")) p = p.substring(1, p.length() - 1);
      if (p.equals(etag)) return true;
    }
    return false;
  }

  /** Milliseconds of an HTTP date, or null when it is not one (then ignored, as S3 does). */
  static Long date(String text) {
    try {
      return ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
