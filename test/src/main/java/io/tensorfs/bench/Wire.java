package io.tensorfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The read side of a benchmark client's connection: CRLF-terminated lines and bodies of a known
 * length, read through one direct buffer; bodies are checksummed as they pass, never kept.
 */
final class Wire {
  private final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);

  Wire(SocketChannel channel) {
    this.channel = channel;
    in.limit(0);
  }

  String readLine() throws IOException {
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

  /** Reads {@code length} bytes and returns their CRC32C. */
  int body(long length) throws IOException {
    CRC32C crc = new CRC32C();
    long left = length;
    while (left > 0) {
      if (!in.hasRemaining()) fill();
      ByteBuffer part = in.duplicate();
      part.limit(part.position() + (int) Math.min(part.remaining(), left));
      left -= part.remaining();
      in.position(part.limit());
      crc.update(part);
    }
    return (int) crc.getValue();
  }

  /** Reads {@code length} bytes into a new array (for small bodies: JSON answers, small files). */
  byte[] bytes(int length) throws IOException {
    byte[] out = new byte[length];
    int at = 0;
    while (at < length) {
      if (!in.hasRemaining()) fill();
      int n = Math.min(in.remaining(), length - at);
      in.get(out, at, n);
      at += n;
    }
    return out;
  }

  /** Writes every byte of {@code b} (from its position to its limit). */
  void write(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) channel.write(b);
  }

  void write(String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) channel.write(b);
  }

  private void fill() throws IOException {
    in.clear();
    if (channel.read(in) < 0) throw new IOException("the server closed the connection");
    in.flip();
  }
}
