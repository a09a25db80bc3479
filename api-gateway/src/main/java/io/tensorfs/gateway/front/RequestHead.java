package io.tensorfs.gateway.front;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed HTTP/1.1 request head, or nothing when the head is anything the front door does not answer
 * itself (another version, folded or malformed lines, bare LF line ends). Parsing is strict on purpose:
 * whatever it refuses is relayed to the full server, which gives the real answer.
 *
 * @param headers names lower-case, repeated headers joined with ", "
 */
record RequestHead(String method, String target, Map<String, String> headers) {
  static final String FILES_PREFIX = "/v1/files/";

  /**
   * Where the head in {@code buf[0, length)} ends (the index just after its empty line), or -1 when no
   * end is there yet. Scanning starts at {@code from}: a caller that got -1 may resume at {@code length - 2}.
   * A bare LF line end also counts as an end, so such a head is relayed instead of waited on.
   */
  static int findEnd(byte[] buf, int from, int length) {
    for (int i = Math.max(from, 0); i < length - 1; i++) {
      if (buf[i] != '\n') continue;
      if (buf[i + 1] == '\n') return i + 2;
      if (i + 2 < length && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    return -1;
  }

  /** The head in {@code buf[0, end)}, {@code end} from {@link #findEnd}; null when it is not plain HTTP/1.1. */
  static RequestHead parse(byte[] buf, int end) {
    int lineEnd = lineEnd(buf, 0, end);
    if (lineEnd < 0) return null;
    String[] requestLine = latin1(buf, 0, lineEnd).split(" ", -1);
    if (requestLine.length != 3 || !requestLine[2].equals("HTTP/1.1")) return null;
    if (!isToken(requestLine[0]) || !isTarget(requestLine[1])) return null;
    Map<String, String> headers = new LinkedHashMap<>();
    int pos = lineEnd + 2;
    while (true) {
      lineEnd = lineEnd(buf, pos, end);
      if (lineEnd < 0) return null;
      if (lineEnd == pos) break;
      if (!addHeader(headers, latin1(buf, pos, lineEnd))) return null;
      pos = lineEnd + 2;
    }
    return pos + 2 == end ? new RequestHead(requestLine[0], requestLine[1], Collections.unmodifiableMap(headers)) : null;
  }

  /**
   * Whether the front door may ask {@link DirectReads} for the answer: a GET or HEAD of a file, with a Host,
   * no body, and no Expect. An Upgrade (an HTTP/2 upgrade, Java's HttpClient's first request) is ignored, as
   * a server may: the answer is HTTP/1.1 and the client goes on in HTTP/1.1.
   */
  boolean isDirectRead() {
    return isDirectRead(t -> t.startsWith(FILES_PREFIX));
  }

  /** {@link #isDirectRead()} for a front door whose direct reads serve the targets {@code serves} accepts. */
  boolean isDirectRead(java.util.function.Predicate<String> serves) {
    if (!method.equals("GET") && !method.equals("HEAD")) return false;
    if (!serves.test(target)) return false;
    if (!headers.containsKey("host") || headers.get("host").contains(",")) return false;
    return hasNoBody();
  }

  /** Whether the request has no body and waits for no interim answer: no Content-Length but 0, no Transfer-Encoding, no Expect. */
  boolean hasNoBody() {
    String length = headers.get("content-length");
    if (length != null && !length.equals("0")) return false;
    return !headers.containsKey("transfer-encoding") && !headers.containsKey("expect");
  }

  boolean isHead() {
    return method.equals("HEAD");
  }

  /** Whether the client asked to close after this response ({@code Connection: close}). */
  boolean wantsClose() {
    String connection = headers.get("connection");
    if (connection == null) return false;
    for (String option : connection.split(",")) {
      if (option.trim().equalsIgnoreCase("close")) return true;
    }
    return false;
  }

  /** The index of the CR of the CRLF ending the line that starts at {@code from}, or -1 (no CRLF, a bare CR or LF). */
  private static int lineEnd(byte[] buf, int from, int end) {
    for (int i = from; i < end; i++) {
      byte b = buf[i];
      if (b == '\r') return i + 1 < end && buf[i + 1] == '\n' ? i : -1;
      if (b == '\n' || b == 0) return -1;
    }
    return -1;
  }

  private static boolean addHeader(Map<String, String> headers, String line) {
    int colon = line.indexOf(':');
    if (colon <= 0) return false;
    String name = line.substring(0, colon);
    if (!isToken(name)) return false;
    String value = line.substring(colon + 1).strip();
    if (value.indexOf('\r') >= 0) return false;
    headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
    return true;
  }

  /** Whether {@code s} is an HTTP token (a method or a header name). */
  static boolean isToken(String s) {
    if (s == null || s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) return false;
    }
    return true;
  }

  private static boolean isTarget(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) return false;
    }
    return true;
  }

  private static String latin1(byte[] buf, int from, int to) {
    return new String(buf, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
