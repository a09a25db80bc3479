package io.tensorfs.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * One kept-alive HTTP/1.1 connection for the benchmark: GETs read into a direct buffer and
 * checksummed, POSTs without a body. Costs the client about what a raw socket read costs.
 */
final class KeepAliveHttp implements AutoCloseable {
  private final InetSocketAddress server;
  private final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);

  /** A GET's outcome: the CRC32C of the body and the value of its X-Tfs-Cache header ("" if none). */
  record Got(int crc32c, String cache) {}

  KeepAliveHttp(InetSocketAddress server) throws IOException {
    this.server = server;
    channel = SocketChannel.open(server);
    channel.socket().setTcpNoDelay(true);
    in.limit(0);
  }

  Got get(String path, long expectedSize) throws IOException {
    write("GET " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + "\r\n\r\n");
    Head head = readHead();
    if (head.status != 200) throw new IOException("GET " + path + " answered " + head.status);
    if (head.contentLength != expectedSize) {
      throw new IOException("GET " + path + " has " + head.contentLength + " bytes, expected " + expectedSize);
    }
    CRC32C crc = new CRC32C();
    long left = head.contentLength;
    while (left > 0) {
      if (!in.hasRemaining()) fill();
      ByteBuffer part = in.duplicate();
      part.limit(part.position() + (int) Math.min(part.remaining(), left));
      left -= part.remaining();
      in.position(part.limit());
      crc.update(part);
    }
    return new Got((int) crc.getValue(), head.cache);
  }

  /** POSTs with an empty body; returns the status and skips the response body. */
  int post(String pathAndQuery) throws IOException {
    write("POST " + pathAndQuery + " HTTP/1.1\r\nHost: " + server.getHostString() + "\r\nContent-Length: 0\r\n\r\n");
    Head head = readHead();
    long left = head.contentLength;
    while (left > 0) {
      if (!in.hasRemaining()) fill();
      int take = (int) Math.min(in.remaining(), left);
      in.position(in.position() + take);
      left -= take;
    }
    return head.status;
  }

  private record Head(int status, long contentLength, String cache) {}

  private Head readHead() throws IOException {
    int status = -1;
    long length = 0;
    String cache = "";
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
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

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      if (!in.hasRemaining()) fill();
      byte c = in.get();
      if (c == '\n' && line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
        return line.substring(0, line.length() - 1);
      }
      line.append((char) c);
    }
  }

  private void write(String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) channel.write(b);
  }

  private void fill() throws IOException {
    in.clear();
    if (channel.read(in) < 0) throw new IOException("server closed the connection");
    in.flip();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
