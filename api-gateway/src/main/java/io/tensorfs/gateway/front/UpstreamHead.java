package io.tensorfs.gateway.front;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the front door needs of the head of an answer from the full server: its status and how its body is
 * framed. Parsing is strict: a head it does not understand gives null, and the connection is then relayed.
 *
 * @param status        the status code
 * @param contentLength the body's length from Content-Length, or -1 when there is none
 * @param otherFraming  a Transfer-Encoding (chunked) frames the body, or a Content-Length could not be read
 * @param close         the full server closes the connection after this answer ({@code Connection: close})
 */
record UpstreamHead(int status, long contentLength, boolean otherFraming, boolean close) {
  /** The head in {@code buf[0, end)}, {@code end} from {@link RequestHead#findEnd}; null when it is not plain HTTP/1.1. */
  static UpstreamHead parse(byte[] buf, int end) {
    String text = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
    if (!text.endsWith("\r\n\r\n")) return null;
    String[] lines = text.substring(0, text.length() - 4).split("\r\n", -1);
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].equals("HTTP/1.1") || !statusLine[1].matches("[1-5][0-9][0-9]")) return null;
    long length = -1;
    boolean otherFraming = false;
    boolean close = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0 || lines[i].indexOf('\n') >= 0 || lines[i].indexOf('\r') >= 0) return null;
      String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).strip();
      switch (name) {
        case "content-length" -> {
          long parsed = value.matches("[0-9]{1,18}") ? Long.parseLong(value) : -1;
          if (parsed < 0 || (length >= 0 && parsed != length)) otherFraming = true;
          length = parsed;
        }
        case "transfer-encoding" -> otherFraming = true;
        case "connection" -> close |= hasOption(value, "close");
        default -> { }
      }
    }
    return new UpstreamHead(Integer.parseInt(statusLine[1]), length, otherFraming, close);
  }

  /** Whether the answer to a request of {@code method} has no body whatever its headers say. */
  boolean hasNoBody(String method) {
    return method.equals("HEAD") || status == 204 || status == 304;
  }

  private static boolean hasOption(String value, String option) {
    for (String o : value.split(",")) {
      if (o.trim().equalsIgnoreCase(option)) return true;
    }
    return false;
  }
}
