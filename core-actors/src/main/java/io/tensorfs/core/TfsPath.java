package io.tensorfs.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A validated tensorfs path: {@code /}-separated UTF-8 segments of 1–255 bytes each, no NUL, no
 * {@code .} or {@code ..} segment, at most 4096 bytes in all. The root is {@code /}. Paths are
 * {@code /tenant/dir/name} by convention; the rules above are the only ones enforced.
 */
public record TfsPath(List<String> segments) implements CborSerializable {
  public static final int MAX_PATH_BYTES = 4096;
  public static final int MAX_SEGMENT_BYTES = 255;
  public static final TfsPath ROOT = new TfsPath(List.of());

  public TfsPath {
    segments = List.copyOf(segments);
    int total = 0;
    for (String s : segments) {
      checkSegment(s);
      total += 1 + s.getBytes(StandardCharsets.UTF_8).length;
    }
    if (total > MAX_PATH_BYTES) {
      throw bad("path is " + total + " bytes, more than " + MAX_PATH_BYTES);
    }
  }

  /** Parses {@code /a/b/c} (the leading {@code /} optional). Throws {@link TfsException} BAD_PATH. */
  public static TfsPath parse(String text) {
    if (text == null || text.isEmpty() || text.equals("/")) return ROOT;
    String body = text.startsWith("/") ? text.substring(1) : text;
    List<String> parts = new ArrayList<>();
    int from = 0;
    while (true) {
      int slash = body.indexOf('/', from);
      parts.add(slash < 0 ? body.substring(from) : body.substring(from, slash));
      if (slash < 0) break;
      from = slash + 1;
    }
    return new TfsPath(parts);
  }

  private static void checkSegment(String s) {
    if (s == null || s.isEmpty()) throw bad("empty path segment (a '//' or a trailing '/')");
    if (s.equals(".") || s.equals("..")) throw bad("'" + s + "' segments are not allowed");
    if (s.indexOf('\0') >= 0) throw bad("NUL in path");
    if (s.indexOf('/') >= 0) throw bad("'/' inside a segment (an encoded %2F)");
    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_SEGMENT_BYTES) throw bad("segment of " + bytes + " bytes, more than " + MAX_SEGMENT_BYTES);
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))
          && !(Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(++i)))) {
        throw bad("path is not valid UTF-8");
      }
    }
  }

  private static TfsException bad(String why) {
    return new TfsException(ErrorCode.BAD_PATH, "bad path: " + why);
  }

  public boolean isRoot() {
    return segments.isEmpty();
  }

  /** The last segment; the empty string for the root. */
  public String name() {
    return isRoot() ? "" : segments.get(segments.size() - 1);
  }

  /** The parent directory; the root is its own parent. */
  public TfsPath parent() {
    return isRoot() ? this : new TfsPath(segments.subList(0, segments.size() - 1));
  }

  public TfsPath child(String name) {
    List<String> s = new ArrayList<>(segments);
    s.add(name);
    return new TfsPath(s);
  }

  /** This path and every ancestor up to and excluding the root, nearest first. */
  public List<TfsPath> ancestors() {
    List<TfsPath> out = new ArrayList<>();
    for (TfsPath p = parent(); !p.isRoot(); p = p.parent()) out.add(p);
    Collections.reverse(out);
    return out;
  }

  @Override
  public String toString() {
    return "/" + String.join("/", segments);
  }
}
