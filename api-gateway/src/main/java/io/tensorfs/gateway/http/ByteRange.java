package io.tensorfs.gateway.http;

import java.util.regex.Pattern;

/**
 * The single byte range of an HTTP {@code Range} header (RFC 9110 §14.1.2): {@code bytes=first-last},
 * {@code bytes=first-} and {@code bytes=-suffix}, resolved against the representation's length.
 * A header that is absent, not in bytes, malformed, or lists several ranges is ignored (the whole
 * file is sent), as RFC 9110 allows; a well-formed range that selects nothing is unsatisfiable (416).
 */
public sealed interface ByteRange {
  /** Send the whole representation (200). */
  record Whole() implements ByteRange {}

  /** Send {@code [first, last]}, both inclusive (206). */
  record Slice(long first, long last) implements ByteRange {
    public long length() {
      return last - first + 1;
    }

    public String contentRange(long size) {
      return "bytes " + first + "-" + last + "/" + size;
    }
  }

  /** Nothing of the representation is selected (416, {@code Content-Range: bytes *}/size). */
  record Unsatisfiable() implements ByteRange {}

  Pattern SPEC = Pattern.compile("\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*", Pattern.CASE_INSENSITIVE);
  int MAX_DIGITS = 18; // longs; a longer number is beyond any file and treated as "to the end"

  static ByteRange parse(String header, long size) {
    if (header == null) return new Whole();
    var m = SPEC.matcher(header);
    if (!m.matches()) return new Whole();
    String first = m.group(1);
    String last = m.group(2);
    if (first.isEmpty() && last.isEmpty()) return new Whole();
    if (first.isEmpty()) return suffix(last, size);
    if (first.length() > MAX_DIGITS) return new Unsatisfiable();
    long firstPos = Long.parseLong(first);
    long lastPos = last.isEmpty() || last.length() > MAX_DIGITS ? Long.MAX_VALUE : Long.parseLong(last);
    if (lastPos < firstPos) return new Whole(); // invalid range-spec: ignored
    if (firstPos >= size) return new Unsatisfiable();
    return new Slice(firstPos, Math.min(lastPos, size - 1));
  }

  private static ByteRange suffix(String digits, long size) {
    long n = digits.length() > MAX_DIGITS ? Long.MAX_VALUE : Long.parseLong(digits);
    if (n == 0 || size == 0) return new Unsatisfiable();
    return new Slice(Math.max(0, size - n), size - 1);
  }
}
