package io.tensorfs.gateway.front;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the status line and headers of a response into a buffer. The Date value is formatted once a
 * second and shared by every connection thread.
 */
final class ResponseHead {
  /** Headers the front door writes itself; a {@link DirectResponse} carrying one is relayed instead. */
  private static final Set<String> OWN = Set.of("content-length", "transfer-encoding", "connection", "keep-alive",
      "date", "server", "upgrade");
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private record Stamp(long epochSecond, String text) {}

  private static volatile Stamp date = new Stamp(0, "");

  private ResponseHead() {}

  /**
   * The head of {@code response}, or null when the front door cannot send it as given (a status other than
   * 200/206, a negative length, a header it owns, a name or value that is not valid HTTP).
   */
  static String of(DirectResponse response, boolean close) {
    String reason = switch (response.status()) {
      case 200 -> "OK";
      case 206 -> "Partial Content";
      default -> null;
    };
    if (reason == null || response.contentLength() < 0 || response.headers() == null) return null;
    StringBuilder head = new StringBuilder(256).append("HTTP/1.1 ").append(response.status()).append(' ')
        .append(reason).append("\r\n");
    for (Map.Entry<String, String> h : response.headers()) {
      String name = h.getKey();
      String value = h.getValue();
      if (!RequestHead.isToken(name) || !isValue(value) || OWN.contains(name.toLowerCase(Locale.ROOT))) return null;
      head.append(name).append(": ").append(value).append("\r\n");
    }
    head.append("Content-Length: ").append(response.contentLength()).append("\r\n");
    return ownHeaders(head, close).toString();
  }

  /** A short JSON error of the full server's form, for when the front door must answer itself (503). */
  static String error(int status, String reason, String code, String message) {
    String body = "{\"error\":\"" + code + "\",\"message\":\"" + message + "\"}";
    StringBuilder head = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ').append(reason)
        .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
    return ownHeaders(head, true).append(body).toString();
  }

  /** {@code text} as bytes in {@code reuse} when it fits, else in a buffer of its own; flipped for writing. */
  static ByteBuffer encode(String text, ByteBuffer reuse) {
    ByteBuffer out = text.length() <= reuse.capacity() ? reuse.clear() : ByteBuffer.allocateDirect(text.length());
    out.put(text.getBytes(StandardCharsets.ISO_8859_1));
    return out.flip();
  }

  private static StringBuilder ownHeaders(StringBuilder head, boolean close) {
    head.append("Date: ").append(now()).append("\r\nServer: tensorfs\r\n");
    if (close) head.append("Connection: close\r\n");
    return head.append("\r\n");
  }

  private static String now() {
    long second = System.currentTimeMillis() / 1000;
    Stamp stamp = date;
    if (stamp.epochSecond() != second) {
      stamp = new Stamp(second, HTTP_DATE.format(Instant.ofEpochSecond(second)));
      date = stamp;
    }
    return stamp.text();
  }

  private static boolean isValue(String value) {
    if (value == null) return false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < ' ' && c != '\t') || c == 0x7f || c > 0xff) return false;
    }
    return true;
  }
}
