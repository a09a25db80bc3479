package io.tensorfs.bench;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/**
 * One kept-alive HTTP/1.1 connection for the KV benchmark: PUT of a small block and GET of one, each with
 * the endpoint's token, answering the status and the CRC32C of the body. Used by one thread at a time.
 */
final class KvHttp implements AutoCloseable {
  private final SocketChannel channel;
  private final Wire wire;
  private final String headLines;

  /** A response: its status and the CRC32C and length of its body. */
  record Answer(int status, int crc32c, long length) {}

  KvHttp(Endpoint server) throws IOException {
    headLines = "Host: " + server.address().getHostString() + "\r\n" + server.authorizationLine();
    channel = SocketChannel.open(server.address());
    channel.socket().setTcpNoDelay(true);
    wire = new Wire(channel);
  }

  /** PUTs {@code body} (ASCII text, the block's bytes) under {@code path}. */
  Answer put(String path, String body) throws IOException {
    wire.write("PUT " + path + " HTTP/1.1\r\n" + headLines + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    return answer();
  }

  Answer get(String path) throws IOException {
    wire.write("GET " + path + " HTTP/1.1\r\n" + headLines + "\r\n");
    return answer();
  }

  private Answer answer() throws IOException {
    int status = -1;
    long length = 0;
    for (String line = wire.readLine(); !line.isEmpty(); line = wire.readLine()) {
      if (status < 0) {
        status = Integer.parseInt(line.substring(9, 12));
        continue;
      }
      int colon = line.indexOf(':');
      if (line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        length = Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    return new Answer(status, wire.body(length), length);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
