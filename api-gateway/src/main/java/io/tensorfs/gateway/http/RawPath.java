package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the raw (still percent-encoded) request path after a route prefix into a {@link TfsPath}.
 * Segments are decoded one by one, so {@code %2F} stays inside its segment (and is refused by the
 * path rules) and {@code %2e%2e} is seen as {@code ..}. Malformed escapes and invalid UTF-8 are BAD_PATH.
 */
public final class RawPath {
  private RawPath() {}

  /** The raw path of a request target: the part before any {@code ?}. */
  public static String pathOf(String rawRequestTarget) {
    int q = rawRequestTarget.indexOf('?');
    String p = q < 0 ? rawRequestTarget : rawRequestTarget.substring(0, q);
    int scheme = p.indexOf("://"); // absolute-form request targets
    if (scheme >= 0) {
      int slash = p.indexOf('/', scheme + 3);
      p = slash < 0 ? "/" : p.substring(slash);
    }
    return p;
  }

  /** Parses the path after {@code prefix} (e.g. {@code /v1/files}); {@code ""} and {@code /} are the root. */
  public static TfsPath after(String prefix, String rawPath, boolean trailingSlashAllowed) {
    if (!rawPath.startsWith(prefix)) throw bad("path must start with " + prefix);
    String rest = rawPath.substring(prefix.length());
    if (rest.isEmpty() || rest.equals("/")) return TfsPath.ROOT;
    if (!rest.startsWith("/")) throw bad("path must start with " + prefix + "/");
    rest = rest.substring(1);
    if (trailingSlashAllowed && rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
    List<String> segments = new ArrayList<>();
    int from = 0;
    while (true) {
      int slash = rest.indexOf('/', from);
      segments.add(decode(slash < 0 ? rest.substring(from) : rest.substring(from, slash)));
      if (slash < 0) break;
      from = slash + 1;
    }
    return new TfsPath(segments);
  }

  /**
   * The decoded segments after {@code prefix}, unchecked by the path rules (a checkpoint item's key may
   * hold a {@code %2F}); a trailing {@code /} is ignored.
   */
  public static List<String> segmentsAfter(String prefix, String rawPath) {
    if (!rawPath.startsWith(prefix)) throw bad("path must start with " + prefix);
    String rest = rawPath.substring(prefix.length());
    if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
    if (rest.isEmpty()) return List.of();
    if (!rest.startsWith("/")) throw bad("path must start with " + prefix + "/");
    List<String> segments = new ArrayList<>();
    for (String s : rest.substring(1).split("/", -1)) segments.add(decode(s));
    return segments;
  }

  static String decode(String segment) {
    if (segment.indexOf('%') < 0) return segment;
    ByteBuffer out = ByteBuffer.allocate(segment.length() * 4);
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) throw bad("truncated %-escape in '" + segment + "'");
        int hi = Character.digit(segment.charAt(i + 1), 16);
        int lo = Character.digit(segment.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) throw bad("bad %-escape in '" + segment + "'");
        out.put((byte) (hi * 16 + lo));
        i += 2;
      } else {
        out.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    out.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(out)
          .toString();
    } catch (CharacterCodingException e) {
      throw bad("path is not valid UTF-8");
    }
  }

  private static TfsException bad(String why) {
    return new TfsException(ErrorCode.BAD_PATH, "bad path: " + why);
  }
}
