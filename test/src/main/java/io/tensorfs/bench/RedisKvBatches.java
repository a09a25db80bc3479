package io.tensorfs.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * The KV benchmark against Redis, one connection speaking RESP: a batch is one MSET or one MGET (the
 * values checksummed as they pass), and Redis's own memory figure.
 */
final class RedisKvBatches implements KvBatchClient {
  private final SocketChannel channel;
  private final Wire wire;

  RedisKvBatches(InetSocketAddress server) throws IOException {
    channel = SocketChannel.open(server);
    channel.socket().setTcpNoDelay(true);
    wire = new Wire(channel);
  }

  @Override
  public void put(List<String> keys, List<ByteBuffer> values) throws IOException {
    StringBuilder head = new StringBuilder("*" + (1 + 2 * keys.size()) + "\r\n$4\r\nMSET\r\n");
    wire.write(head.toString());
    for (int i = 0; i < keys.size(); i++) {
      String k = keys.get(i);
      wire.write("$" + k.length() + "\r\n" + k + "\r\n$" + values.get(i).remaining() + "\r\n");
      wire.write(values.get(i).duplicate());
      wire.write("\r\n");
    }
    String line = wire.readLine();
    if (!line.equals("+OK")) throw new IOException("MSET answered " + line);
  }

  @Override
  public void get(List<String> keys, long length, int[] crcs) throws IOException {
    StringBuilder req = new StringBuilder("*" + (1 + keys.size()) + "\r\n$4\r\nMGET\r\n");
    for (String k : keys) req.append('$').append(k.length()).append("\r\n").append(k).append("\r\n");
    wire.write(req.toString());
    String line = wire.readLine();
    if (!line.equals("*" + keys.size())) throw new IOException("MGET answered " + line);
    for (int i = 0; i < keys.size(); i++) {
      String bulk = wire.readLine();
      if (!bulk.equals("$" + length)) throw new IOException("MGET " + keys.get(i) + " answered " + bulk);
      if (wire.body(length) != crcs[i]) throw new IllegalStateException("MGET " + keys.get(i) + " returned other bytes");
      if (!wire.readLine().isEmpty()) throw new IOException("MGET value not followed by CRLF");
    }
  }

  /** Empties the database. */
  void flushAll() throws IOException {
    wire.write("*1\r\n$8\r\nFLUSHALL\r\n");
    String line = wire.readLine();
    if (!line.equals("+OK")) throw new IOException("FLUSHALL answered " + line);
  }

  /** Redis's own figure of the memory it uses, in bytes ({@code INFO memory}, {@code used_memory}). */
  long usedMemory() throws IOException {
    wire.write("*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n");
    String bulk = wire.readLine();
    String text = new String(wire.bytes(Integer.parseInt(bulk.substring(1))), java.nio.charset.StandardCharsets.US_ASCII);
    wire.readLine();
    for (String l : text.split("\r\n")) if (l.startsWith("used_memory:")) return Long.parseLong(l.substring(12).trim());
    throw new IOException("INFO memory without used_memory");
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
