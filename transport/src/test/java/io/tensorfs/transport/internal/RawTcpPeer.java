package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import org.agrona.concurrent.UnsafeBuffer;

/** A raw connection to a {@link TcpWire} that plays the connecting side: it takes the challenge, then writes what a test gives it. */
final class RawTcpPeer implements AutoCloseable {
  final SocketChannel ch;
  final byte[] acceptorNonce;

  RawTcpPeer(InetSocketAddress to) throws IOException {
    ch = SocketChannel.open(to);
    ch.socket().setSoTimeout(10_000);
    ByteBuffer challenge = ByteBuffer.allocate(TcpHandshake.CHALLENGE_BYTES);
    while (challenge.hasRemaining()) {
      if (ch.read(challenge) < 0) throw new IOException("closed before the challenge");
    }
    acceptorNonce = TcpHandshake.acceptorNonce(challenge);
    assertNotNull(acceptorNonce);
  }

  /** A HELLO from {@code h}'s holder answering {@code acceptorNonce}. */
  static byte[] hello(TcpHandshake h, byte[] acceptorNonce) {
    Frames.Writer w = new Frames.Writer(new UnsafeBuffer(new byte[TcpHandshake.MAX_HELLO_BYTES]));
    int n = h.hello(w, "tcp://127.0.0.1:1", acceptorNonce, h.nonce());
    return Arrays.copyOf(w.buffer().byteArray(), n);
  }

  void write(byte[] bytes) throws IOException {
    write(bytes, 0, bytes.length);
  }

  void write(byte[] bytes, int offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes, offset, length);
    while (b.hasRemaining()) ch.write(b);
  }

  /** Reads until the peer closes; returns what it sent. */
  byte[] readUntilClosed() throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1024);
    try {
      while (ch.socket().getInputStream().read() >= 0) b.put((byte) 0);
    } catch (IOException e) {
      // reset by the peer: closed as well
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
