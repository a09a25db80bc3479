package io.tensorfs.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A Redis client for the benchmark, speaking RESP over one connection with direct buffers: SET of a
 * value cycled from a pattern, and GET whose value is read into a direct buffer and checksummed, so the
 * client costs what the tensorfs client costs.
 */
final class Resp implements AutoCloseable {
  private final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);

  Resp(InetSocketAddress server) throws IOException {
    channel = SocketChannel.open(server);
    channel.socket().setTcpNoDelay(true);
    in.limit(0);
  }

  void set(String key, ByteBuffer pattern, long size) throws IOException {
    String head = "*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + size + "\r\n";
    write(head);
    RawHttp.writeCycled(channel, pattern, size);
    write("\r\n");
    String line = readLine();
    if (!line.equals("+OK")) throw new IOException("SET " + key + " answered " + line);
  }

  /** GETs {@code key} and returns the CRC32C of its value, which must be {@code size} bytes long. */
  int get(String key, long size) throws IOException {
    write("*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n");
    String line = readLine();
    if (!line.equals("$" + size)) throw new IOException("GET " + key + " answered " + line);
    CRC32C crc = new CRC32C();
    long left = size;
    while (left > 0) {
      if (!in.hasRemaining()) fill();
      ByteBuffer part = in.duplicate();
      part.limit(part.position() + (int) Math.min(part.remaining(), left));
      left -= part.remaining();
      in.position(part.limit());
      crc.update(part);
    }
    String end = readLine();
    if (!end.isEmpty()) throw new IOException("GET " + key + " value not followed by CRLF");
    return (int) crc.getValue();
  }

  private void write(String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) channel.write(b);
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

  private void fill() throws IOException {
    in.clear();
    if (channel.read(in) < 0) throw new IOException("redis closed the connection");
    in.flip();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
