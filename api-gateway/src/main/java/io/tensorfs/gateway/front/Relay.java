package io.tensorfs.gateway.front;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connection handed to the full server: the bytes already read go first, then both directions are
 * copied byte for byte until they end. The connection's thread copies client to upstream; a second thread
 * copies upstream to client. A client that shuts down its output still gets the whole answer (the
 * half-close is passed on); when the upstream ends, the client gets a FIN after the last byte, and the
 * watchdog closes the connection if the client does not close in turn. Any failure closes both sockets.
 */
final class Relay {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Connection connection;
  private final SocketChannel client;
  private final InetSocketAddress upstreamAddress;
  private final String threadName;
  private volatile SocketChannel upstream;

  Relay(Connection connection, SocketChannel client, InetSocketAddress upstreamAddress, String threadName) {
    this.connection = connection;
    this.client = client;
    this.upstreamAddress = upstreamAddress;
    this.threadName = threadName;
  }

  /** Relays until both directions end; {@code buffered[0, length)} is what the client sent so far. */
  void run(byte[] buffered, int length) throws IOException {
    try {
      upstream = SocketChannel.open(upstreamAddress);
      upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } catch (IOException e) {
      FrontServer.closeQuietly(upstream);
      answerUnavailable();
      return;
    }
    relay(ByteBuffer.wrap(buffered, 0, length));
  }

  /**
   * Relays over a connection to the full server that a {@link Forwarder} opened, in the middle of an answer:
   * {@code answered} (what the full server sent so far) goes to the client first, {@code buffered[from, to)}
   * (what the client sent after the forwarded request) to the full server; then both directions are copied.
   */
  void continueOver(SocketChannel connected, ByteBuffer answered, byte[] buffered, int from, int to) throws IOException {
    upstream = connected;
    try {
      connection.writeFully(new ByteBuffer[] {answered});
    } catch (IOException e) {
      close();
      throw e;
    }
    relay(ByteBuffer.wrap(buffered, from, to - from));
  }

  private void relay(ByteBuffer first) throws IOException {
    try {
      while (first.hasRemaining()) upstream.write(first);
      Thread answers = new Thread(this::upstreamToClient, threadName + "-upstream");
      answers.setDaemon(true);
      answers.start();
      clientToUpstream();
      awaitEnd(answers);
    } finally {
      close();
    }
  }

  private void clientToUpstream() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    try {
      while (client.read(buffer.clear()) >= 0) {
        buffer.flip();
        try {
          while (buffer.hasRemaining()) upstream.write(buffer);
        } catch (IOException upstreamClosed) {
          drainClient(buffer);
          return;
        }
      }
      // The client has sent all it will: tell the upstream, and keep relaying its answer.
      upstream.shutdownOutput();
    } catch (IOException e) {
      close();
    }
  }

  /**
   * The full server stopped taking the request: it answered early (a 412, 413 or 507 decided from the head)
   * and closed with the body unread. Closing the client's socket now, with its bytes unread, would reset the
   * connection and could lose that answer on the way; instead the rest of the body is read and dropped while
   * the answer is relayed, until the client closes (or the watchdog cuts it). If the upstream failed instead,
   * the other direction closes both sockets, which ends this loop.
   */
  private void drainClient(ByteBuffer buffer) throws IOException {
    while (client.read(buffer.clear()) >= 0) {
      // dropped
    }
  }

  private void upstreamToClient() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    ByteBuffer[] out = {buffer};
    try {
      while (upstream.read(buffer.clear()) >= 0) {
        buffer.flip();
        connection.writeFully(out);
      }
      // A FIN after the last byte rather than a close, which could reset the connection and lose that byte.
      client.shutdownOutput();
      connection.waitForClientToClose();
    } catch (IOException e) {
      close();
    }
  }

  private static void awaitEnd(Thread answers) {
    try {
      answers.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void answerUnavailable() throws IOException {
    String answer = ResponseHead.error(503, "Service Unavailable", "UNAVAILABLE",
        "the node's HTTP server is not reachable; try again shortly");
    connection.writeFully(new ByteBuffer[] {ResponseHead.encode(answer, ByteBuffer.allocate(answer.length()))});
    client.shutdownOutput();
  }

  /** Closes both sockets, ending both directions; any thread, idempotent. */
  void close() {
    FrontServer.closeQuietly(client);
    FrontServer.closeQuietly(upstream);
  }
}
