package io.tensorfs.gateway.front;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's front door: an HTTP/1.1 server on the public port that answers file GET and HEAD from
 * {@link DirectReads} with gathering writes straight from off-heap pages, and relays every other
 * request, byte for byte, to the full HTTP server listening on {@code upstream}.
 *
 * <p>Threads: one acceptor ({@code tfs-front-acceptor}); one platform daemon thread per connection
 * ({@code tfs-front-<n>}) with blocking sockets, plus {@code tfs-front-<n>-upstream} for the answer
 * direction once a connection is relayed; one watchdog ({@code tfs-front-watchdog}) that closes
 * connections waiting on their client longer than {@code idle-timeout}. A connection beyond
 * {@code max-connections} is answered 503 (JSON, as the full server's errors) and closed.
 */
public final class FrontServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FrontServer.class);
  private static final long ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  final FrontSettings settings;
  /** The API it fronts ({@code http}, {@code s3}): the {@code api} tag of its metrics. */
  final String api;
  final DirectReads reads;
  final InetSocketAddress upstream;
  final LongAdder direct = new LongAdder();
  final LongAdder handedOff = new LongAdder();
  final LongAdder forwarded = new LongAdder();
  final LongAdder cutOff = new LongAdder();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final ServerSocketChannel listener;
  private final InetSocketAddress localAddress;
  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final ScheduledExecutorService watchdog;
  private final Thread acceptor;
  private volatile boolean closed;

  private FrontServer(String api, FrontSettings settings, DirectReads reads, InetSocketAddress upstream,
      ServerSocketChannel listener) throws IOException {
    this.api = api;
    this.settings = settings;
    this.reads = reads;
    this.upstream = upstream;
    this.listener = listener;
    this.localAddress = (InetSocketAddress) listener.getLocalAddress();
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tfs-front-watchdog"));
    this.acceptor = daemon(this::acceptLoop, "tfs-front-acceptor");
    FrontMetrics.register(this);
  }

  /**
   * Listens on {@code settings.host():settings.port()} and serves until {@link #close()}. Whether to start
   * it at all ({@code enabled}) is the caller's decision.
   *
   * @param api      the API it fronts ({@code http}, {@code s3}), which tags its metrics
   * @param upstream the full HTTP server, normally on a loopback port
   */
  public static FrontServer start(String api, FrontSettings settings, DirectReads reads, InetSocketAddress upstream)
      throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    try {
      listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      listener.bind(new InetSocketAddress(settings.host(), settings.port()), Math.max(128, settings.maxConnections()));
      FrontServer server = new FrontServer(api, settings, reads, upstream, listener);
      server.begin();
      return server;
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
  }

  /** The address it listens on (the real port when the settings asked for port 0). */
  public InetSocketAddress localAddress() {
    return localAddress;
  }

  public FrontStats stats() {
    return new FrontStats(accepted.sum(), refused.sum(), direct.sum(), forwarded.sum(), handedOff.sum(), cutOff.sum(),
        live.size());
  }

  /** Stops listening and closes every connection, relayed ones included; returns without waiting for threads. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    watchdog.shutdownNow();
    for (Connection c : live) c.close();
  }

  /** Called by a connection's thread when it is done. */
  void ended(Connection connection) {
    live.remove(connection);
  }

  private void begin() {
    long idleNanos = settings.idleTimeout().toNanos();
    long tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(idleNanos / 4, TimeUnit.SECONDS.toNanos(1)));
    watchdog.scheduleAtFixedRate(() -> {
      long now = System.nanoTime();
      for (Connection c : live) c.closeIfStalled(now, idleNanos);
    }, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    acceptor.start();
    log.info("front door on {}, relaying to {}", localAddress, upstream);
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException e) {
        if (closed || !listener.isOpen()) return;
        // Out of file descriptors and the like: back off a little instead of spinning on the error.
        log.warn("front door accept failed: {}", e.toString());
        LockSupport.parkNanos(ACCEPT_RETRY_NANOS);
        continue;
      }
      if (live.size() >= settings.maxConnections()) refuse(channel);
      else serve(channel);
    }
  }

  private void serve(SocketChannel channel) {
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (settings.socketSendBufferBytes() > 0) {
        channel.setOption(StandardSocketOptions.SO_SNDBUF, settings.socketSendBufferBytes());
      }
    } catch (IOException e) {
      closeQuietly(channel);
      return;
    }
    long id = ids.incrementAndGet();
    Connection connection = new Connection(this, id, channel);
    live.add(connection);
    accepted.increment();
    try {
      daemon(connection, "tfs-front-" + id).start();
    } catch (OutOfMemoryError e) {
      // No thread to be had (the OS limit): drop this connection, keep accepting.
      log.warn("front door could not start a thread for a connection: {}", e.toString());
      live.remove(connection);
      connection.close();
      return;
    }
    if (closed) connection.close();
  }

  /**
   * Answers 503 and closes, on the acceptor thread: the answer is a few hundred bytes into an empty send
   * buffer, so the write does not wait on the client.
   */
  private void refuse(SocketChannel channel) {
    refused.increment();
    String answer = ResponseHead.error(503, "Service Unavailable", "UNAVAILABLE",
        "this node has " + settings.maxConnections() + " connections open; try again shortly");
    try {
      ByteBuffer bytes = ResponseHead.encode(answer, ByteBuffer.allocate(answer.length()));
      while (bytes.hasRemaining()) channel.write(bytes);
      channel.shutdownOutput();
    } catch (IOException e) {
      // The client is gone already: nothing to tell it.
    } finally {
      closeQuietly(channel);
    }
  }

  private static Thread daemon(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  static void closeQuietly(AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      // Closing on the way out: the first failure is what mattered.
    }
  }
}
