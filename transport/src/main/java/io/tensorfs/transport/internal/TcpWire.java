package io.tensorfs.transport.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames over plain non-blocking TCP, on the engine's thread. Each link to a peer opens
 * {@code streams} connections and stripes DATA frames over them; control frames go on the first.
 * Connections are one-way: a node writes only on connections it opened and reads only on those it
 * accepted, and each connection starts with a HELLO naming the writer's endpoint. The receiver puts
 * striped frames back in order by their offsets. Endpoint: {@code tcp://host:port}.
 */
public final class TcpWire implements Wire {
  private static final Logger log = LoggerFactory.getLogger(TcpWire.class);
  private static final ByteBuffer NO_BYTES = ByteBuffer.allocate(0);

  private final Selector selector;
  private final ServerSocketChannel server;
  private final String endpoint;
  private final int streams;
  private final int frameBytes;
  private final int socketBufferBytes;
  private final long connectTimeoutNs;
  private final List<TcpLink> links = new ArrayList<>();
  private final byte[] hello;

  public TcpWire(String bindHost, int port, String advertiseHost, int streams, int frameBytes, int socketBufferBytes, long connectTimeoutNs)
      throws IOException {
    this.streams = streams;
    this.frameBytes = frameBytes;
    this.socketBufferBytes = socketBufferBytes;
    this.connectTimeoutNs = connectTimeoutNs;
    this.selector = Selector.open();
    this.server = ServerSocketChannel.open();
    server.setOption(StandardSocketOptions.SO_RCVBUF, socketBufferBytes);
    server.bind(new InetSocketAddress(bindHost, port));
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    int boundPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
    this.endpoint = "tcp://" + Endpoints.hostForUri(advertiseHost) + ":" + boundPort;
    Frames.Writer w = new Frames.Writer(new UnsafeBuffer(new byte[1024]));
    int n = w.begin(Frames.HELLO, (byte) 0, 0).putString(endpoint).end();
    this.hello = new byte[n];
    w.buffer().getBytes(0, hello);
  }

  @Override
  public String kind() {
    return "tcp";
  }

  @Override
  public String localEndpoint() {
    return endpoint;
  }

  @Override
  public int maxPayloadBytes(String peer) {
    return frameBytes;
  }

  @Override
  public Link link(String peer) {
    URI uri = Endpoints.parse(peer);
    if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "not a tcp endpoint: " + peer);
    }
    TcpLink link = new TcpLink(peer, new InetSocketAddress(uri.getHost(), uri.getPort()));
    links.add(link);
    return link;
  }

  @Override
  public int poll(FrameHandler handler, long nowNs) {
    int work = 0;
    try {
      if (selector.selectNow() > 0) {
        for (SelectionKey key : selector.selectedKeys()) work += ready(key, handler);
        selector.selectedKeys().clear();
      }
    } catch (IOException e) {
      log.warn("tcp transport selector failed", e);
    }
    for (int i = 0; i < links.size(); i++) work += links.get(i).flush();
    return work;
  }

  private int ready(SelectionKey key, FrameHandler handler) {
    if (!key.isValid()) return 0;
    if (key.isAcceptable()) return accept();
    if (key.isConnectable()) return ((Outgoing) key.attachment()).finishConnect();
    if (key.isReadable()) return ((Incoming) key.attachment()).read(handler);
    return 0;
  }

  private int accept() {
    try {
      SocketChannel ch = server.accept();
      if (ch == null) return 0;
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.setOption(StandardSocketOptions.SO_RCVBUF, socketBufferBytes);
      Incoming in = new Incoming(ch);
      ch.register(selector, SelectionKey.OP_READ, in);
      return 1;
    } catch (IOException e) {
      log.warn("tcp accept failed: {}", e.toString());
      return 0;
    }
  }

  @Override
  public void close() {
    for (TcpLink l : new ArrayList<>(links)) l.close();
    for (SelectionKey key : selector.keys()) closeQuietly(key.channel());
    closeQuietly(server);
    closeQuietly(selector);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /** An accepted connection: reads whole frames into a buffer large enough for the largest one. */
  private final class Incoming {
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(Frames.DATA_HEADER_BYTES + Math.max(frameBytes, Frames.MAX_CONTROL_BYTES));
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    private String peer;

    Incoming(SocketChannel channel) {
      this.channel = channel;
    }

    int read(FrameHandler handler) {
      int work = 0;
      try {
        for (int i = 0; i < 4; i++) {
          int n = channel.read(buffer);
          if (n < 0) {
            lost(handler, "connection closed by the peer");
            return work + 1;
          }
          if (n == 0) break;
          work++;
          if (!deliver(handler)) return work;
        }
      } catch (IOException e) {
        lost(handler, "connection lost: " + e.getMessage());
      }
      return work;
    }

    /** Where the first frame not yet handed over starts in the buffer. */
    private int start;

    /**
     * Hands every whole frame in the buffer to the handler; false when the stream is broken. The
     * buffer is compacted only when the frame in progress would not fit, so a large frame that
     * arrives in many reads is not moved again after each one.
     */
    private boolean deliver(FrameHandler handler) {
      int end = buffer.position();
      int needed = 0;
      while (end - start >= Frames.HEADER_BYTES) {
        int length = Frames.HEADER_BYTES + view.getInt(start + Frames.BODY_LENGTH_OFFSET);
        if (length < Frames.HEADER_BYTES || length > buffer.capacity()) {
          lost(handler, "malformed frame of " + length + " bytes");
          return false;
        }
        if (end - start < length) {
          needed = length;
          break;
        }
        if (view.getByte(start + Frames.TYPE_OFFSET) == Frames.HELLO) {
          peer = new Frames.Reader().wrap(view, start, length).getString();
        } else {
          handler.onFrame(view, start, length);
        }
        start += length;
      }
      if (start == end) {
        buffer.clear();
        start = 0;
      } else if (buffer.capacity() - start < Math.max(needed, Frames.HEADER_BYTES)) {
        buffer.flip().position(start);
        buffer.compact();
        start = 0;
      }
      return true;
    }

    private void lost(FrameHandler handler, String why) {
      closeQuietly(channel);
      if (peer != null) handler.onPeerLost(peer, why);
    }
  }

  /** One outgoing connection of a link; at most one frame in progress. */
  private final class Outgoing {
    private final TcpLink link;
    private final SocketChannel channel;
    private final ByteBuffer header = ByteBuffer.allocateDirect(Frames.MAX_CONTROL_BYTES);
    private final ByteBuffer[] pending = {header, NO_BYTES};
    private boolean connected;
    private boolean busy;

    Outgoing(TcpLink link, InetSocketAddress address) throws IOException {
      this.link = link;
      this.channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.setOption(StandardSocketOptions.SO_SNDBUF, socketBufferBytes);
      if (channel.connect(address)) connected();
      else channel.register(selector, SelectionKey.OP_CONNECT, this);
    }

    int finishConnect() {
      try {
        if (channel.finishConnect()) {
          channel.keyFor(selector).interestOps(0);
          connected();
          return 1;
        }
      } catch (IOException e) {
        link.failure = "cannot connect to " + link.endpoint + ": " + e.getMessage();
      }
      return 0;
    }

    private void connected() {
      connected = true;
      header.clear();
      header.put(hello).flip();
      pending[1] = NO_BYTES;
      busy = true;
      flush();
    }

    /** Writes what the socket takes; true when nothing is left pending. */
    boolean flush() {
      if (!busy) return true;
      try {
        channel.write(pending);
        busy = header.hasRemaining() || pending[1].hasRemaining();
      } catch (IOException e) {
        link.failure = "connection to " + link.endpoint + " lost: " + e.getMessage();
      }
      return !busy;
    }

    boolean offer(DirectBuffer frameHeader, int headerLength, byte[] payload, int payloadOffset, int payloadLength) {
      if (!connected || !flush()) return false;
      header.clear();
      frameHeader.getBytes(0, header, 0, headerLength);
      header.limit(headerLength);
      pending[1] = payloadLength == 0 ? NO_BYTES : ByteBuffer.wrap(payload, payloadOffset, payloadLength);
      busy = true;
      flush();
      return true;
    }
  }

  private final class TcpLink implements Link {
    private final String endpoint;
    private final Outgoing[] connections;
    private final long createdNs = System.nanoTime();
    private String failure;

    TcpLink(String endpoint, InetSocketAddress address) {
      this.endpoint = endpoint;
      this.connections = new Outgoing[streams];
      try {
        for (int i = 0; i < streams; i++) connections[i] = new Outgoing(this, address);
      } catch (IOException e) {
        close();
        throw new TfsException(ErrorCode.UNAVAILABLE, "cannot connect to " + endpoint + ": " + e.getMessage(), e);
      }
    }

    @Override
    public String endpoint() {
      return endpoint;
    }

    @Override
    public boolean offer(int stripe, DirectBuffer header, int headerLength, byte[] payload, int payloadOffset, int payloadLength) {
      if (failure != null) return false;
      return connections[Math.floorMod(stripe, connections.length)].offer(header, headerLength, payload, payloadOffset, payloadLength);
    }

    int flush() {
      int work = 0;
      for (Outgoing c : connections) {
        if (c != null && c.busy && failure == null && c.flush()) work++;
      }
      return work;
    }

    @Override
    public String failure(long nowNs) {
      if (failure != null) return failure;
      for (Outgoing c : connections) {
        if (!c.connected && nowNs - createdNs > connectTimeoutNs) {
          return "cannot connect to " + endpoint + " within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms";
        }
      }
      return null;
    }

    @Override
    public void close() {
      links.remove(this);
      for (Outgoing c : connections) {
        if (c != null) closeQuietly(c.channel);
      }
    }
  }
}
