package io.tensorfs.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The thinnest HTTP/1.1 client that can time a server: one request per connection, the body written
 * from and read into direct buffers, so the client costs about what the raw socket baseline costs. Each
 * request carries the endpoint's token.
 */
final class RawHttp {
  private static final int IO_BYTES = 1 << 20;

  private RawHttp() {}

  /** PUTs {@code size} bytes cycled from {@code pattern}; returns the response status line and body. */
  static String put(Endpoint server, String path, ByteBuffer pattern, long size) throws IOException {
    String head = "PUT " + path + " HTTP/1.1\r\nHost: bench\r\nContent-Length: " + size
        + "\r\nContent-Type: application/octet-stream\r\n" + server.authorizationLine() + "Connection: close\r\n\r\n";
    return send(server.address(), head, pattern, size);
  }

  /**
   * Sends a whole request head (its lines and the blank line ending it, {@code Connection: close} among
   * them) and {@code size} bytes cycled from {@code pattern}; returns the response status line and body.
   */
  static String send(InetSocketAddress address, String head, ByteBuffer pattern, long size) throws IOException {
    try (SocketChannel ch = SocketChannel.open(address)) {
      ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
      writeCycled(ch, pattern, size);
      return new String(readAll(ch), StandardCharsets.UTF_8);
    }
  }

  /** GETs a file and returns the CRC32C of its body, having read {@code expectedSize} bytes. */
  static int get(Endpoint server, String path, long expectedSize) throws IOException {
    String head = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n" + server.authorizationLine() + "Connection: close\r\n\r\n";
    return fetch(server.address(), head, expectedSize);
  }

  /**
   * Sends a whole request head ({@code Connection: close} among its lines) and returns the CRC32C of the
   * 200 answer's body, having read {@code expectedSize} bytes. The body is read on this thread and checked
   * beside it ({@link CrcBeside}), so the check of every byte does not slow the reads the server sees.
   */
  static int fetch(InetSocketAddress address, String head, long expectedSize) throws IOException {
    try (CrcBeside check = new CrcBeside(4, IO_BYTES); SocketChannel ch = SocketChannel.open(address)) {
      ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = check.take();
      int headerEnd = -1;
      while (headerEnd < 0) {
        if (ch.read(buf) < 0) throw new IOException("connection closed in the response head");
        headerEnd = indexOfHeaderEnd(buf);
      }
      String headText = headString(buf, headerEnd);
      if (!headText.startsWith("HTTP/1.1 200")) throw new IOException("GET failed: " + headText);
      buf.flip().position(headerEnd);
      long got = buf.remaining();
      check.hand(buf);
      while (got < expectedSize) {
        buf = check.take();
        buf.limit((int) Math.min(buf.capacity(), expectedSize - got));
        while (buf.hasRemaining()) {
          int n = ch.read(buf);
          if (n < 0) throw new IOException("body ended after " + (got + buf.position()) + " of " + expectedSize + " bytes");
        }
        got += buf.position();
        check.hand(buf.flip());
      }
      return check.finish();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading a response", e);
    }
  }

  static void writeCycled(SocketChannel ch, ByteBuffer pattern, long size) throws IOException {
    long left = size;
    while (left > 0) {
      ByteBuffer b = pattern.duplicate().clear();
      b.limit((int) Math.min(b.capacity(), left));
      left -= b.remaining();
      while (b.hasRemaining()) ch.write(b);
    }
  }

  private static byte[] readAll(SocketChannel ch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(8192);
    while (ch.read(b) >= 0) {
      out.write(b.array(), 0, b.position());
      b.clear();
    }
    out.write(b.array(), 0, b.position());
    return out.toByteArray();
  }

  private static int indexOfHeaderEnd(ByteBuffer buf) {
    for (int i = 3; i < buf.position(); i++) {
      if (buf.get(i - 3) == '\r' && buf.get(i - 2) == '\n' && buf.get(i - 1) == '\r' && buf.get(i) == '\n') return i + 1;
    }
    return -1;
  }

  private static String headString(ByteBuffer buf, int end) {
    byte[] b = new byte[end];
    buf.duplicate().flip().get(b);
    return new String(b, StandardCharsets.US_ASCII);
  }
}
