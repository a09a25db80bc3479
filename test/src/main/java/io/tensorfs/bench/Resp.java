package io.tensorfs.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A Redis client for the benchmark, speaking RESP over one connection with direct buffers: SET of a
 * value cycled from a pattern, and GET whose value is read into a direct buffer and checksummed, so the
 * client costs what the tensorfs client costs.
 */
final class Resp implements AutoCloseable {
  private final SocketChannel channel;
  private final Wire wire;

  Resp(InetSocketAddress server) throws IOException {
    channel = SocketChannel.open(server);
    channel.socket().setTcpNoDelay(true);
    wire = new Wire(channel);
  }

  void set(String key, ByteBuffer pattern, long size) throws IOException {
    wire.write("*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + size + "\r\n");
    RawHttp.writeCycled(channel, pattern, size);
    wire.write("\r\n");
    String line = wire.readLine();
    if (!line.equals("+OK")) throw new IOException("SET " + key + " answered " + line);
  }

  /** GETs {@code key} and returns the CRC32C of its value, which must be {@code size} bytes long. */
  int get(String key, long size) throws IOException {
    wire.write("*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n");
    String line = wire.readLine();
    if (!line.equals("$" + size)) throw new IOException("GET " + key + " answered " + line);
    int crc = wire.body(size);
    if (!wire.readLine().isEmpty()) throw new IOException("GET " + key + " value not followed by CRLF");
    return crc;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
