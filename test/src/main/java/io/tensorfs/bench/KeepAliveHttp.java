package io.tensorfs.bench;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * One kept-alive HTTP/1.1 connection for the benchmark: GETs read into a direct buffer and
 * checksummed, POSTs without a body, each with the endpoint's token. Costs the client about what a raw
 * socket read costs.
 */
final class KeepAliveHttp implements AutoCloseable {
  private final SocketChannel channel;
  private final Wire wire;
  /** The request head's Host and Authorization lines, the same on every request. */
  private final String headLines;

  /** A GET's outcome: the CRC32C of the body and the value of its X-Tfs-Cache header ("" if none). */
  record Got(int crc32c, String cache) {}

  KeepAliveHttp(Endpoint server) throws IOException {
    headLines = "Host: " + server.address().getHostString() + "\r\n" + server.authorizationLine();
    channel = SocketChannel.open(server.address());
    channel.socket().setTcpNoDelay(true);
    wire = new Wire(channel);
  }

  Got get(String path, long expectedSize) throws IOException {
    wire.write("GET " + path + " HTTP/1.1\r\n" + headLines + "\r\n");
    Head head = readHead();
    if (head.status != 200) throw new IOException("GET " + path + " answered " + head.status);
    if (head.contentLength != expectedSize) {
      throw new IOException("GET " + path + " has " + head.contentLength + " bytes, expected " + expectedSize);
    }
    return new Got(wire.body(head.contentLength), head.cache);
  }

  /** POSTs with an empty body; returns the status and skips the response body. */
  int post(String pathAndQuery) throws IOException {
    wire.write("POST " + pathAndQuery + " HTTP/1.1\r\n" + headLines + "Content-Length: 0\r\n\r\n");
    Head head = readHead();
    wire.body(head.contentLength);
    return head.status;
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
    }
    return new Head(status, length, cache);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
