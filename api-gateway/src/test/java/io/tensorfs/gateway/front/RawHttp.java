package io.tensorfs.gateway.front;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A plain HTTP/1.1 client over one socket, for what java.net.http cannot show: keep-alive, pipelining, cuts. */
final class RawHttp implements AutoCloseable {
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  final Socket socket;
  final InputStream in;
  final OutputStream out;

  RawHttp(InetSocketAddress address) throws IOException {
    this(address, 0);
  }

  /** @param receiveBufferBytes SO_RCVBUF, set before connecting; 0 keeps the default */
  RawHttp(InetSocketAddress address, int receiveBufferBytes) throws IOException {
    socket = new Socket();
    if (receiveBufferBytes > 0) socket.setReceiveBufferSize(receiveBufferBytes);
    socket.setSoTimeout(20_000);
    socket.connect(address);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  static String get(String path, String... headerLines) {
    return request("GET", path, headerLines);
  }

  static String request(String method, String path, String... headerLines) {
    StringBuilder s = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
    for (String h : headerLines) s.append(h).append("\r\n");
    return s.append("\r\n").toString();
  }

  void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** The next response; for an answer to HEAD pass {@code headRequest}, so no body is read. */
  Response read(boolean headRequest) throws IOException {
    Response head = readHead();
    if (headRequest) return head;
    String length = head.header("content-length");
    byte[] body;
    if (length != null) {
      body = in.readNBytes(Integer.parseInt(length));
      if (body.length != Integer.parseInt(length)) throw new EOFException("body cut at " + body.length);
    } else if ("chunked".equals(head.header("transfer-encoding"))) {
      body = readChunked();
    } else {
      body = in.readAllBytes();
    }
    return new Response(head.status(), head.headers(), body);
  }

  Response read() throws IOException {
    return read(false);
  }

  /** Status line and headers only (names lower-case); the body is left in the stream. */
  Response readHead() throws IOException {
    String statusLine = line();
    if (statusLine == null) throw new EOFException("connection closed before a response");
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(); line == null || !line.isEmpty(); line = line()) {
      if (line == null) throw new EOFException("connection closed inside a response head");
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return new Response(status, headers, new byte[0]);
  }

  /** Reads until the server closes; how many bytes came. */
  long drain() throws IOException {
    return in.transferTo(OutputStream.nullOutputStream());
  }

  private byte[] readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      int size = Integer.parseInt(line().split(";")[0].trim(), 16);
      if (size == 0) {
        while (!line().isEmpty()) {
          // trailers: none expected
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(size));
      line();
    }
  }

  private String line() throws IOException {
    StringBuilder s = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) return s.length() == 0 ? null : s.toString();
      if (b == '\n') {
        int n = s.length();
        return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
      }
      s.append((char) b);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
