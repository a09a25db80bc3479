package io.tensorfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One kept-alive HTTP/1.1 connection for the benchmark, each request with the endpoint's token: large GETs
 * read into a direct buffer and checksummed, small requests (PUT of a small body, HEAD, GET of a small body)
 * answered with their status and body. Costs the client about what a raw socket read costs. A connection the
 * server closes ({@code Connection: close}) is opened again for the next request. One thread at a time.
 */
final class KeepAliveHttp implements AutoCloseable {
  private final Endpoint server;
  /** The request head's Host and Authorization lines, the same on every request. */
  private final String headLines;
  private SocketChannel channel;
  private Wire wire;
  private boolean closedByServer;

  /** A GET's outcome: the CRC32C of the body and the value of its X-Tfs-Cache header ("" if none). */
  record Got(int crc32c, String cache) {}

  /** A small request's outcome: the status, the body (empty for HEAD) and the Content-Length, bytes. */
  record Answer(int status, byte[] body, long contentLength) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  KeepAliveHttp(Endpoint server) throws IOException {
    this.server = server;
    headLines = "Host: " + server.address().getHostString() + "\r\n" + server.authorizationLine();
    open();
  }

  Got get(String path, long expectedSize) throws IOException {
    send("GET " + path + " HTTP/1.1\r\n" + headLines + "\r\n");
    Head head = readHead();
    if (head.status != 200) throw new IOException("GET " + path + " answered " + head.status);
    if (head.contentLength != expectedSize) {
      throw new IOException("GET " + path + " has " + head.contentLength + " bytes, expected " + expectedSize);
    }
    return new Got(wire.body(head.contentLength), head.cache);
  }

  /** POSTs with an empty body; returns the status and skips the response body. */
  int post(String pathAndQuery) throws IOException {
    send("POST " + pathAndQuery + " HTTP/1.1\r\n" + headLines + "Content-Length: 0\r\n\r\n");
    Head head = readHead();
    wire.body(head.contentLength);
    return head.status;
  }

  /** A GET whose body is small enough to keep (a JSON answer, a small file). */
  Answer getSmall(String pathAndQuery) throws IOException {
    send("GET " + pathAndQuery + " HTTP/1.1\r\n" + headLines + "\r\n");
    Head head = readHead();
    return new Answer(head.status, wire.bytes(Math.toIntExact(head.contentLength)), head.contentLength);
  }

  /** A HEAD: the status and the Content-Length the server announced (no body follows). */
  Answer head(String path) throws IOException {
    send("HEAD " + path + " HTTP/1.1\r\n" + headLines + "\r\n");
    Head head = readHead();
    return new Answer(head.status, new byte[0], head.contentLength);
  }

  /** A PUT (POST with {@code method}) of {@code body}, whole; the answer's body is kept. */
  Answer send(String method, String pathAndQuery, byte[] body) throws IOException {
    send(method + " " + pathAndQuery + " HTTP/1.1\r\n" + headLines
        + "Content-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n");
    wire.write(ByteBuffer.wrap(body));
    Head head = readHead();
    return new Answer(head.status, wire.bytes(Math.toIntExact(head.contentLength)), head.contentLength);
  }

  private void send(String requestHead) throws IOException {
    if (closedByServer) {
      channel.close();
      open();
    }
    wire.write(requestHead);
  }

  private void open() throws IOException {
    channel = SocketChannel.open(server.address());
    channel.socket().setTcpNoDelay(true);
    wire = new Wire(channel);
    closedByServer = false;
  }

  private record Head(int status, long contentLength, String cache) {}

  private Head readHead() throws IOException {
    int status = -1;
    long length = 0;
    String cache = "";
    for (String line = wire.readLine(); !line.isEmpty(); line = wire.readLine()) {
      if (status < 0) {
        status = Integer.parseInt(line.substring(9, 12));
        continue;
      }
      int colon = line.indexOf(':');
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) length = Long.parseLong(value);
      if (name.equals("x-tfs-cache")) cache = value;
      if (name.equals("connection") && value.equalsIgnoreCase("close")) closedByServer = true;
      if (name.equals("transfer-encoding")) throw new IOException("a chunked answer, which this client does not read");
    }
    return new Head(status, length, cache);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
