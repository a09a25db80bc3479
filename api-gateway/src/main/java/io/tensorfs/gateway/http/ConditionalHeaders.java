package io.tensorfs.gateway.http;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Reads {@code If-Match} and {@code If-None-Match} (RFC 9110 13.1.1, 13.1.2) into a {@link Precondition}:
 * {@code *}, or a comma-separated list of entity tags, strong ({@code "7"}) or weak ({@code W/"7"}).
 * Our ETags are strong, so If-Match compares strongly (a weak tag matches nothing) and If-None-Match
 * weakly (a weak tag matches the version of the same number). A header that is not of that form is a
 * BAD_REQUEST naming it. Stateless; any thread.
 */
public final class ConditionalHeaders {
  static final String IF_MATCH = "If-Match";
  static final String IF_NONE_MATCH = "If-None-Match";

  private ConditionalHeaders() {}

  /** The preconditions of a request; every header of either name counts, as one list. */
  public static Precondition of(HttpRequest request) {
    return parse(joined(request, IF_MATCH), joined(request, IF_NONE_MATCH));
  }

  /**
   * @param ifMatch     the If-Match value, repeated headers joined with ", "; null when absent
   * @param ifNoneMatch likewise for If-None-Match
   */
  public static Precondition parse(String ifMatch, String ifNoneMatch) {
    if (ifMatch == null && ifNoneMatch == null) return Precondition.NONE;
    return new Precondition(tags(IF_MATCH, ifMatch, false), tags(IF_NONE_MATCH, ifNoneMatch, true));
  }

  private static String joined(HttpRequest request, String name) {
    List<String> values = new ArrayList<>();
    for (HttpHeader h : request.getHeaders()) {
      if (h.name().equalsIgnoreCase(name)) values.add(h.value());
    }
    return values.isEmpty() ? null : String.join(", ", values);
  }

  /**
   * The tags of one header as {@link Precondition} holds them: {@code *}, or each tag's opaque part;
   * a weak tag is its opaque part where the comparison is weak, else kept whole ({@code W/"7"}), which
   * matches no version.
   */
  private static List<String> tags(String name, String value, boolean weakComparison) {
    if (value == null) return List.of();
    String text = value.strip();
    if (text.equals(Precondition.ANY)) return List.of(Precondition.ANY);
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == ',' || c == ' ' || c == '\t') {
        i++;
        continue;
      }
      boolean weak = text.startsWith("W/", i);
      int open = weak ? i + 2 : i;
      if (open >= text.length() || text.charAt(open) != '"') throw bad(name, value);
      int close = open + 1;
      while (close < text.length() && isEtagChar(text.charAt(close))) close++;
      if (close >= text.length() || text.charAt(close) != '"') throw bad(name, value);
      String opaque = text.substring(open + 1, close);
      out.add(weak && !weakComparison ? text.substring(i, close + 1) : opaque.isEmpty() ? "\"\"" : opaque);
      i = close + 1;
      while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++;
      if (i < text.length() && text.charAt(i) != ',') throw bad(name, value);
    }
    if (out.isEmpty()) throw bad(name, value);
    return out;
  }

  /** etagc: any visible character but the double quote, or obs-text. */
  private static boolean isEtagChar(char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
  }

  private static TfsException bad(String name, String value) {
    return new TfsException(ErrorCode.BAD_REQUEST, name + ": '" + value
        + "' is not * or a list of quoted entity tags such as \"7\" (an ETag is the version in double quotes)");
  }
}
