package io.tensorfs.gateway.front;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import io.tensorfs.gateway.metrics.RequestMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, run by its own thread: reads request heads, answers file GET/HEAD from
 * {@link DirectReads}, hands any other request without a body to the full server one at a time through a
 * {@link Forwarder}, and becomes a {@link Relay} to the full server for the rest of its life on the first
 * request it can do neither with (one with a body, one it cannot parse) or whose answer the forwarder cannot
 * frame. Keep-alive by default; pipelined requests are kept in order.
 */
final class Connection implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  private static final long NOT_WAITING = Long.MIN_VALUE;
  private static final int HEAD_BUFFER_BYTES = 8 * 1024;
  private static final ByteBuffer[] NO_BUFFERS = new ByteBuffer[0];
  /** {@link #readHead()}: the client closed between requests. */
  private static final int CLIENT_DONE = -1;
  /** {@link #readHead()}: what was read is no head the front door can parse; relay it. */
  private static final int NOT_A_HEAD = -2;

  private enum Outcome { KEEP_ALIVE, CLOSE, HAND_OFF, RELAYED }

  private final FrontServer server;
  private final long id;
  private final SocketChannel channel;
  private final byte[] in;
  private final ByteBuffer inBuffer;
  private final ByteBuffer headOut = ByteBuffer.allocateDirect(HEAD_BUFFER_BYTES);
  private final long idleNanos;
  /** Bytes of {@link #in} read and not yet answered (a head, and maybe what was pipelined after it). */
  private int filled;
  /** When the current wait on the client (a read of the next head, a write) began; read by the watchdog. */
  private volatile long waitingSinceNanos = NOT_WAITING;
  /** When the request being answered arrived, and the status its direct answer has (for metrics). Own thread. */
  private long headAtNanos;
  private int answeringStatus;
  /** Set once the connection is handed to the full server, so closing it closes the upstream side too. */
  private volatile Relay relay;
  /** Set at the first request forwarded to the full server; its upstream connection is kept. */
  private volatile Forwarder forwarder;

  Connection(FrontServer server, long id, SocketChannel channel) {
    this.server = server;
    this.id = id;
    this.channel = channel;
    this.in = new byte[server.settings.maxHeadBytes()];
    this.inBuffer = ByteBuffer.wrap(in);
    this.idleNanos = server.settings.idleTimeout().toNanos();
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (IOException e) {
      // The client went away, or the watchdog or close() closed the socket: an ordinary end.
    } catch (RuntimeException e) {
      log.warn("front connection {} failed", id, e);
    } finally {
      FrontServer.closeQuietly(channel);
      FrontServer.closeQuietly(forwarder);
      server.ended(this);
    }
  }

  /** Closes the client socket, and the upstream one when relayed or forwarding; the connection's threads then end. Any thread. */
  void close() {
    FrontServer.closeQuietly(channel);
    FrontServer.closeQuietly(forwarder);
    Relay r = relay;
    if (r != null) r.close();
  }

  /** Closes the connection when it has waited on its client for longer than {@code idleNanos}. */
  void closeIfStalled(long nowNanos, long idleNanos) {
    long since = waitingSinceNanos;
    if (since != NOT_WAITING && nowNanos - since > idleNanos) close();
  }

  /** Marks the connection as waiting on its client from now on, until it is closed. */
  void waitForClientToClose() {
    waitingSinceNanos = System.nanoTime();
  }

  /** Writes every remaining byte of {@code buffers} with gathering writes; a write stuck too long is cut by the watchdog. */
  void writeFully(ByteBuffer[] buffers) throws IOException {
    int first = 0;
    while (true) {
      while (first < buffers.length && !buffers[first].hasRemaining()) first++;
      if (first == buffers.length) return;
      waitingSinceNanos = System.nanoTime();
      try {
        channel.write(buffers, first, buffers.length - first);
      } finally {
        waitingSinceNanos = NOT_WAITING;
      }
    }
  }

  private void serve() throws IOException {
    while (true) {
      int end = readHead();
      if (end == CLIENT_DONE) return;
      RequestHead head = end == NOT_A_HEAD ? null : RequestHead.parse(in, end);
      headAtNanos = System.nanoTime();
      Outcome outcome = head != null && head.isDirectRead(server.reads::serves) ? answer(head) : Outcome.HAND_OFF;
      if (outcome == Outcome.HAND_OFF && head != null && head.hasNoBody()) outcome = forward(head, end);
      if (outcome == Outcome.RELAYED) return;
      if (outcome == Outcome.HAND_OFF) {
        server.handedOff.increment();
        FrontServer.closeQuietly(forwarder); // the relay opens its own connection
        relay = new Relay(this, channel, server.upstream, Thread.currentThread().getName());
        relay.run(in, filled);
        return;
      }
      if (outcome == Outcome.CLOSE) return;
      System.arraycopy(in, end, in, 0, filled - end);
      filled -= end;
    }
  }

  /**
   * Hands the request in {@link #in}{@code [0, end)} to the full server through the forwarder; when its answer
   * cannot be framed, relays the connection from there on and returns {@link Outcome#RELAYED} once it ended.
   */
  private Outcome forward(RequestHead head, int end) throws IOException {
    Forwarder f = forwarder;
    if (f == null) {
      f = new Forwarder(this, server.upstream, server.settings.maxHeadBytes());
      forwarder = f;
    }
    switch (f.forward(head, in, end)) {
      case KEEP_ALIVE:
        server.forwarded.increment();
        return Outcome.KEEP_ALIVE;
      case CLOSE:
        server.forwarded.increment();
        return Outcome.CLOSE;
      default:
        server.handedOff.increment();
        relay = new Relay(this, channel, server.upstream, Thread.currentThread().getName());
        relay.continueOver(f.takeUpstream(), f.unsentAnswer(), in, end, filled);
        return Outcome.RELAYED;
    }
  }

  /** The end of the next head in {@link #in}, reading as needed; or {@link #CLIENT_DONE} or {@link #NOT_A_HEAD}. */
  private int readHead() throws IOException {
    int scanned = 0;
    while (true) {
      int end = RequestHead.findEnd(in, scanned, filled);
      if (end >= 0) return end;
      if (filled == in.length) return NOT_A_HEAD;
      scanned = Math.max(0, filled - 2);
      inBuffer.limit(in.length).position(filled);
      int n;
      waitingSinceNanos = System.nanoTime();
      try {
        n = channel.read(inBuffer);
      } finally {
        waitingSinceNanos = NOT_WAITING;
      }
      if (n < 0) return filled == 0 ? CLIENT_DONE : NOT_A_HEAD;
      filled += n;
    }
  }

  private Outcome answer(RequestHead head) throws IOException {
    Optional<DirectResponse> found;
    try {
      found = Await.value(server.reads.open(head.method(), head.target(), head.headers()), idleNanos,
          Connection::closeLate);
    } catch (Await.Failed | RuntimeException e) {
      return Outcome.HAND_OFF;
    }
    if (found == null || found.isEmpty()) return Outcome.HAND_OFF;
    BodySource body = null;
    try {
      body = found.get().body();
      return body == null ? Outcome.HAND_OFF : respond(head, found.get(), body);
    } finally {
      FrontServer.closeQuietly(body);
    }
  }

  private Outcome respond(RequestHead head, DirectResponse response, BodySource body) throws IOException {
    boolean close = head.wantsClose();
    String text;
    try {
      text = ResponseHead.of(response, close);
    } catch (RuntimeException e) {
      text = null;
    }
    if (text == null) return Outcome.HAND_OFF;
    if (head.isHead()) {
      body.close();
      writeFully(new ByteBuffer[] {ResponseHead.encode(text, headOut)});
      server.direct.increment();
      RequestMetrics.answered("front", "files.head", Integer.toString(response.status()), headAtNanos);
      return close ? Outcome.CLOSE : Outcome.KEEP_ALIVE;
    }
    BodyPiece first;
    try {
      // The first piece before the head: if it cannot be had, nothing was sent and the full server answers.
      first = Await.value(body.next(), idleNanos, Connection::releaseLate);
    } catch (Await.Failed | RuntimeException e) {
      return Outcome.HAND_OFF;
    }
    answeringStatus = response.status();
    return stream(ResponseHead.encode(text, headOut), response.contentLength(), body, first, close);
  }

  /**
   * Writes the head with the first piece, then each following piece while the one after it is already
   * asked for. Every piece is released once, on every path; the caller closes {@code body}.
   */
  private Outcome stream(ByteBuffer head, long contentLength, BodySource body, BodyPiece first, boolean close) {
    BodyPiece piece = first;
    CompletionStage<BodyPiece> ahead = null;
    ByteBuffer unsentHead = head;
    long sent = 0;
    try {
      while (true) {
        ByteBuffer[] buffers = piece == null ? NO_BUFFERS : piece.buffers();
        long size = remaining(buffers);
        if (sent + size > contentLength) throw new IllegalStateException("body longer than " + contentLength);
        ahead = piece == null ? null : body.next();
        ByteBuffer[] out = unsentHead == null ? buffers : withHead(unsentHead, buffers);
        unsentHead = null;
        writeFully(out);
        sent += size;
        if (piece != null) {
          BodyPiece written = piece;
          piece = null;
          written.release();
        }
        if (ahead == null) break;
        CompletionStage<BodyPiece> next = ahead;
        ahead = null;
        piece = Await.value(next, idleNanos, Connection::releaseLate);
      }
      if (sent != contentLength) throw new IllegalStateException("body ended at " + sent + " of " + contentLength);
      server.direct.increment();
      RequestMetrics.answered("front", "files.get", Integer.toString(answeringStatus), headAtNanos);
      return close ? Outcome.CLOSE : Outcome.KEEP_ALIVE;
    } catch (IOException | Await.Failed | RuntimeException e) {
      if (piece != null) releaseLate(piece);
      if (ahead != null) ahead.thenAccept(Connection::releaseLate);
      if (unsentHead != null) return Outcome.HAND_OFF;
      // The head is out: the client sees a body shorter than its Content-Length, as from the full server.
      // A client that went away is ordinary; a source that failed or stalled is the node's, and said why.
      if (!(e instanceof IOException)) {
        log.warn("front connection {}: answer cut after {} of {} body bytes: {}", id, sent, contentLength,
            e instanceof Await.Failed f && f.getCause() != null ? f.getMessage() + ": " + f.getCause() : e.toString());
      }
      server.cutOff.increment();
      RequestMetrics.answered("front", "files.get", "cut-off", headAtNanos);
      return Outcome.CLOSE;
    }
  }

  private static long remaining(ByteBuffer[] buffers) {
    long n = 0;
    for (ByteBuffer b : buffers) n += b.remaining();
    return n;
  }

  private static ByteBuffer[] withHead(ByteBuffer head, ByteBuffer[] buffers) {
    ByteBuffer[] out = new ByteBuffer[buffers.length + 1];
    out[0] = head;
    System.arraycopy(buffers, 0, out, 1, buffers.length);
    return out;
  }

  private static void releaseLate(BodyPiece piece) {
    if (piece == null) return;
    try {
      piece.release();
    } catch (RuntimeException e) {
      log.warn("releasing a body piece failed", e);
    }
  }

  private static void closeLate(Optional<DirectResponse> found) {
    if (found != null) found.ifPresent(r -> FrontServer.closeQuietly(r.body()));
  }
}
