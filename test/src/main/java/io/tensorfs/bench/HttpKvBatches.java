package io.tensorfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The KV benchmark over HTTP/1.1, one kept-alive connection: {@code ?op=mput} and {@code ?op=mget} in the
 * {@code application/x-tfs-kv-batch} framing, and single-key GET. Bodies are checksummed as they pass.
 */
final class HttpKvBatches implements KvBatchClient {
  private final SocketChannel channel;
  private final Wire wire;
  private final String headLines;
  private final String tenant;

  HttpKvBatches(Endpoint server, String tenant) throws IOException {
    this.headLines = "Host: " + server.address().getHostString() + "\r\n" + server.authorizationLine();
    this.channel = SocketChannel.open(server.address());
    channel.socket().setTcpNoDelay(true);
    this.wire = new Wire(channel);
    this.tenant = tenant;
  }

  @Override
  public void put(List<String> keys, List<ByteBuffer> values) throws IOException {
    long length = 0;
    ByteBuffer[] heads = new ByteBuffer[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      byte[] k = keys.get(i).getBytes(StandardCharsets.UTF_8);
      heads[i] = ByteBuffer.allocate(2 + k.length + 8).order(ByteOrder.LITTLE_ENDIAN)
          .putShort((short) k.length).put(k).putLong(values.get(i).remaining()).flip();
      length += heads[i].remaining() + values.get(i).remaining();
    }
    wire.write("POST /v1/kv/" + tenant + "?op=mput HTTP/1.1\r\n" + headLines
        + "Content-Type: application/x-tfs-kv-batch\r\nContent-Length: " + length + "\r\n\r\n");
    for (int i = 0; i < keys.size(); i++) {
      wire.write(heads[i]);
      wire.write(values.get(i).duplicate());
    }
    long bodyLength = head("mput");
    String json = new String(wire.bytes((int) bodyLength), StandardCharsets.UTF_8);
    int ok = json.split("\"status\":\"OK\"", -1).length - 1;
    if (ok != keys.size()) throw new IllegalStateException("mput stored " + ok + " of " + keys.size() + ": " + json);
  }

  @Override
  public void get(List<String> keys, long length, int[] crcs) throws IOException {
    StringBuilder json = new StringBuilder("{\"keys\":[");
    for (int i = 0; i < keys.size(); i++) json.append(i == 0 ? "\"" : ",\"").append(keys.get(i)).append('"');
    byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    wire.write("POST /v1/kv/" + tenant + "?op=mget HTTP/1.1\r\n" + headLines
        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n");
    wire.write(ByteBuffer.wrap(body));
    head("mget");
    for (int i = 0; i < keys.size(); i++) {
      ByteBuffer h = ByteBuffer.wrap(wire.bytes(16)).order(ByteOrder.LITTLE_ENDIAN);
      int index = h.getInt();
      int status = h.getInt();
      long got = h.getLong();
      if (index != i || status != 0 || got != length) {
        throw new IllegalStateException("mget record " + i + ": key " + index + " status " + status + " length " + got);
      }
      if (wire.body(got) != crcs[i]) throw new IllegalStateException("mget " + keys.get(i) + " returned other bytes");
    }
  }

  /** A single-key GET of {@code /v1/kv/{tenant}/{key}}, which must answer {@code length} bytes of CRC32C {@code crc}. */
  void getOne(String key, long length, int crc) throws IOException {
    wire.write("GET /v1/kv/" + tenant + "/" + key + " HTTP/1.1\r\n" + headLines + "\r\n");
    long got = head("GET");
    if (got != length || wire.body(got) != crc) throw new IllegalStateException("GET " + key + " returned other bytes");
  }

  /** Reads a response head that must be 200; answers its Content-Length. */
  private long head(String what) throws IOException {
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
    if (status != 200) {
      throw new IllegalStateException(what + " answered " + status + ": " + new String(wire.bytes((int) length), StandardCharsets.UTF_8));
    }
    return length;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
