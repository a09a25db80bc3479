package io.tensorfs.gateway.front;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * Hands one request at a time to the full server, over a connection to it kept for the client
 * connection's life. A request without a body is written upstream as the client sent it; when the answer
 * frames its body by Content-Length (or has none), its head and exactly that body are copied to the client,
 * and the client connection goes on with its next request, answered directly again when it can be. An
 * answer framed any other way (chunked, until close, a switch of protocols) makes the connection a
 * {@link Relay} from that byte on, over the same upstream connection ({@link Result#RELAY}).
 *
 * <p>An upstream connection the full server closed while idle is noticed before it is reused; one that
 * closes before answering is tried again once on a fresh connection for an idempotent method (RFC 9110
 * 9.2.2: GET, HEAD, OPTIONS, TRACE, DELETE; the probe cannot see a close that is still on its way), and
 * answered 502 otherwise (a POST may have been done). Run by the client connection's thread; {@link #close} from any thread.
 */
final class Forwarder implements AutoCloseable {
  /** What became of a forwarded request. */
  enum Result {
    /** The answer is written; the client connection reads its next request. */
    KEEP_ALIVE,
    /** The answer (or an error) is written and the client connection is to be closed. */
    CLOSE,
    /** The answer cannot be framed here: relay the connection from {@link #takeUpstream} and {@link #unsentAnswer}. */
    RELAY
  }

  private static final int BODY_BUFFER_BYTES = 64 * 1024;
  /** Methods a request of may be sent again when its connection closed unanswered (RFC 9110 9.2.2). */
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "DELETE");
  /** {@link #readAnswerHead}: the full server closed (or failed) before the head ended. */
  private static final int NO_HEAD = -1;
  /** {@link #readAnswerHead}: the head does not fit the buffer. */
  private static final int TOO_LARGE = -2;

  private final Connection connection;
  private final InetSocketAddress address;
  private final byte[] answer;
  private final ByteBuffer answerBuffer;
  private final ByteBuffer body = ByteBuffer.allocateDirect(BODY_BUFFER_BYTES);
  private final ByteBuffer probe = ByteBuffer.allocate(1);
  /** The kept connection to the full server, or null; written by the connection's thread only. */
  private volatile SocketChannel upstream;
  /** Bytes of {@link #answer} read from the full server for the request being forwarded. */
  private int answered;

  Forwarder(Connection connection, InetSocketAddress address, int maxHeadBytes) {
    this.connection = connection;
    this.address = address;
    this.answer = new byte[maxHeadBytes];
    this.answerBuffer = ByteBuffer.wrap(answer);
  }

  /** Forwards the bodiless request {@code request[0, length)} and passes its answer on to the client. */
  Result forward(RequestHead head, byte[] request, int length) throws IOException {
    for (int attempt = 0; ; attempt++) {
      boolean reused = upstream != null && stillOpen();
      if (!reused && !connect()) return answerError(503, "Service Unavailable", "UNAVAILABLE",
          "the node's HTTP server is not reachable; try again shortly");
      int end;
      try {
        ByteBuffer out = ByteBuffer.wrap(request, 0, length);
        while (out.hasRemaining()) upstream.write(out);
        end = readAnswerHead();
      } catch (IOException e) {
        end = NO_HEAD;
      }
      if (end == NO_HEAD) {
        closeUpstream();
        // A kept connection the full server closed just as the request went out: nothing was done.
        if (answered == 0 && reused && attempt == 0 && IDEMPOTENT.contains(head.method())) continue;
        return answerError(502, "Bad Gateway", "UNAVAILABLE",
            "the node's HTTP server closed the connection without answering; try again");
      }
      if (end == TOO_LARGE) return Result.RELAY;
      return passOn(head, end);
    }
  }

  /** After {@link Result#RELAY}: the upstream connection, now the relay's (this forwarder forgets it). */
  SocketChannel takeUpstream() {
    SocketChannel u = upstream;
    upstream = null;
    return u;
  }

  /** After {@link Result#RELAY}: what the full server answered so far, to go to the client first. */
  ByteBuffer unsentAnswer() {
    return ByteBuffer.wrap(answer, 0, answered);
  }

  /** Closes the upstream connection, if any; a read or write of it on the connection's thread then fails. */
  @Override
  public void close() {
    FrontServer.closeQuietly(upstream);
  }

  private Result passOn(RequestHead request, int end) throws IOException {
    UpstreamHead head = UpstreamHead.parse(answer, end);
    boolean noBody = head != null && head.hasNoBody(request.method());
    if (head == null || head.status() < 200 || (!noBody && (head.otherFraming() || head.contentLength() < 0))) {
      return Result.RELAY;
    }
    long bodyLength = noBody ? 0 : head.contentLength();
    int early = answered - end; // body bytes read with the head
    if (early > bodyLength) {
      // More than the answer: the full server does not speak HTTP/1.1 as expected. Pass it on and stop.
      closeUpstream();
      connection.writeFully(new ByteBuffer[] {unsentAnswer()});
      return Result.CLOSE;
    }
    connection.writeFully(new ByteBuffer[] {unsentAnswer()});
    answered = 0;
    ByteBuffer[] out = {body};
    for (long left = bodyLength - early; left > 0; ) {
      body.clear().limit((int) Math.min(body.capacity(), left));
      int n = upstream.read(body);
      if (n < 0) {
        // Cut mid-body: the client sees a body shorter than its Content-Length, as it would from the server.
        closeUpstream();
        return Result.CLOSE;
      }
      body.flip();
      connection.writeFully(out);
      left -= n;
    }
    if (head.close()) closeUpstream();
    return request.wantsClose() || head.close() ? Result.CLOSE : Result.KEEP_ALIVE;
  }

  /** The end of the answer's head in {@link #answer}, reading as needed; or {@link #NO_HEAD} or {@link #TOO_LARGE}. */
  private int readAnswerHead() throws IOException {
    answered = 0;
    int scanned = 0;
    while (true) {
      answerBuffer.limit(answer.length).position(answered);
      int n = upstream.read(answerBuffer);
      if (n < 0) return NO_HEAD;
      answered += n;
      int end = RequestHead.findEnd(answer, scanned, answered);
      if (end >= 0) return end;
      if (answered == answer.length) return TOO_LARGE;
      scanned = Math.max(0, answered - 2);
    }
  }

  /** Whether the kept connection is still open and quiet; if not it is closed, to be opened again. */
  private boolean stillOpen() {
    SocketChannel u = upstream;
    try {
      u.configureBlocking(false);
      int n = u.read(probe.clear());
      u.configureBlocking(true);
      if (n == 0) return true;
    } catch (IOException e) {
      // closed under us: open a new one
    }
    closeUpstream();
    return false;
  }

  private boolean connect() {
    SocketChannel u = null;
    try {
      u = SocketChannel.open(address);
      u.setOption(StandardSocketOptions.TCP_NODELAY, true);
      upstream = u;
      return true;
    } catch (IOException e) {
      FrontServer.closeQuietly(u);
      return false;
    }
  }

  private void closeUpstream() {
    FrontServer.closeQuietly(upstream);
    upstream = null;
  }

  private Result answerError(int status, String reason, String code, String message) throws IOException {
    String text = ResponseHead.error(status, reason, code, message);
    connection.writeFully(new ByteBuffer[] {ResponseHead.encode(text, ByteBuffer.allocate(text.length()))});
    return Result.CLOSE;
  }
}
