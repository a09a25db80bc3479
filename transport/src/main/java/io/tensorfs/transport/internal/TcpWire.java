package io.tensorfs.transport.internal;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import io.tensorfs.transport.MemoryRegions;
import io.tensorfs.transport.PageRun;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames over plain non-blocking TCP, on the engine's thread. Each link to a peer opens
 * {@code streams} connections and stripes DATA frames over them; control frames go on the first.
 * Connections are one-way: a node writes only on connections it opened and reads only on those it
 * accepted. Each connection opens with the {@link TcpHandshake} (a challenge from the accepting side, a
 * HELLO naming the writer's endpoint with its proof of the cluster's secret, the accepting side's proof
 * back): no frame is read from, or sent to, a peer that failed it. The receiver puts striped frames back
 * in order by their offsets. A DATA payload for a fetch into pages is read from the socket straight to its
 * place there ({@link FrameHandler#landingFor}); every other frame is read whole into the connection's
 * buffer. Endpoint: {@code tcp://host:port}.
 */
public final class TcpWire implements Wire {
  private static final Logger log = LoggerFactory.getLogger(TcpWire.class);

  private final Selector selector;
  private final ServerSocketChannel server;
  private final String endpoint;
  private final int streams;
  private final int frameBytes;
  private final int socketBufferBytes;
  private final long connectTimeoutNs;
  private final List<TcpLink> links = new ArrayList<>();
  /** Accepted connections whose HELLO has not arrived yet; dropped after the connect timeout. */
  private final List<Incoming> handshaking = new ArrayList<>();
  private final TcpHandshake handshake;
  private final Refusals refusals = new Refusals("tcp");
  /** Takes each ready key during {@link #poll}: made once, so that a poll allocates nothing. */
  private final java.util.function.Consumer<SelectionKey> onReady = this::ready;
  private FrameHandler handler;
  private int readyWork;
  /** DATA payload bytes read from a socket straight into a fetch's pages (agent thread writes; read anywhere). */
  private volatile long landedBytes;
  /** DATA payload bytes written to a socket from the pages they lie in (agent thread writes; read anywhere). */
  private volatile long sentInPlaceBytes;
  /** The regions payloads may be written from in place, and their addresses. */
  private final ByteBuffer[] regions;
  private final long[] regionStarts;

  /** {@code key}: the cluster's secret, which every connection's handshake proves on both sides. */
  public TcpWire(String bindHost, int port, String advertiseHost, int streams, int frameBytes, int socketBufferBytes, long connectTimeoutNs,
      byte[] key) throws IOException {
    this(bindHost, port, advertiseHost, streams, frameBytes, socketBufferBytes, connectTimeoutNs, key, MemoryRegions.NONE);
  }

  /**
   * As above; a DATA payload that lies in {@code inPlace} (the node's page pool, never freed while the
   * process lives) is written to the socket from where it lies, its run held until written.
   */
  public TcpWire(String bindHost, int port, String advertiseHost, int streams, int frameBytes, int socketBufferBytes, long connectTimeoutNs,
      byte[] key, MemoryRegions inPlace) throws IOException {
    this.regions = inPlace.regions().toArray(new ByteBuffer[0]);
    this.regionStarts = new long[regions.length];
    for (int i = 0; i < regions.length; i++) regionStarts[i] = new UnsafeBuffer(regions[i]).addressOffset();
    this.handshake = new TcpHandshake(key);
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
    Metrics.counter("tensorfs.transport.tcp.landed", "DATA payload bytes read from a socket straight into a fetch's pages", Unit.BYTES,
        Tags.EMPTY, this, TcpWire::landedBytes);
    Metrics.counter("tensorfs.transport.tcp.sent-in-place", "DATA payload bytes written to a socket from the cache pages they lie in",
        Unit.BYTES, Tags.EMPTY, this, TcpWire::sentInPlaceBytes);
  }

  /** DATA payload bytes read from a socket straight into a fetch's pages since start. */
  public long landedBytes() {
    return landedBytes;
  }

  /** DATA payload bytes written to a socket from the pages they lie in since start. */
  public long sentInPlaceBytes() {
    return sentInPlaceBytes;
  }

  /** Connections refused since start (a failed or missing handshake). */
  public long refused() {
    return refusals.count();
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
    this.handler = handler;
    readyWork = 0;
    try {
      selector.selectNow(onReady);
    } catch (IOException e) {
      log.warn("tcp transport selector failed", e);
    }
    int work = readyWork;
    for (int i = 0; i < links.size(); i++) work += links.get(i).flush();
    for (int i = handshaking.size() - 1; i >= 0; i--) {
      Incoming in = handshaking.get(i);
      if (nowNs - in.acceptedNs > connectTimeoutNs) {
        in.refuse("no handshake within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms", nowNs);
      }
    }
    return work;
  }

  private void ready(SelectionKey key) {
    if (!key.isValid()) return;
    if (key.isAcceptable()) readyWork += accept();
    else if (key.isConnectable()) readyWork += ((Outgoing) key.attachment()).finishConnect();
    else if (key.isReadable()) {
      readyWork += key.attachment() instanceof Incoming in ? in.read(handler) : ((Outgoing) key.attachment()).readHandshake();
    }
  }

  private int accept() {
    try {
      SocketChannel ch = server.accept();
      if (ch == null) return 0;
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.setOption(StandardSocketOptions.SO_RCVBUF, socketBufferBytes);
      Incoming in = new Incoming(ch, System.nanoTime());
      ByteBuffer challenge = handshake.challenge(in.acceptorNonce);
      ch.write(challenge);
      if (challenge.hasRemaining()) { // a fresh socket's send buffer takes 36 bytes; anything else is broken
        closeQuietly(ch);
        return 1;
      }
      ch.register(selector, SelectionKey.OP_READ, in);
      handshaking.add(in);
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

  /**
   * An accepted connection: first its HELLO, read into a small buffer and checked; then whole frames, read
   * into a buffer large enough for the largest one (allocated only once the peer proved the secret).
   */
  private final class Incoming {
    private final SocketChannel channel;
    private final long acceptedNs;
    private final byte[] acceptorNonce = handshake.nonce();
    private ByteBuffer buffer = ByteBuffer.allocate(TcpHandshake.MAX_HELLO_BYTES);
    private UnsafeBuffer view = new UnsafeBuffer(buffer);
    /** The writer's endpoint, known once it passed the handshake. */
    private String peer;

    Incoming(SocketChannel channel, long acceptedNs) {
      this.channel = channel;
      this.acceptedNs = acceptedNs;
    }

    int read(FrameHandler handler) {
      int work = 0;
      try {
        for (int i = 0; i < 4; i++) {
          int n;
          if (landing != null) n = landing.live() ? channel.read(landing.view) : discard();
          else {
            if (peer != null) buffer.limit(readLimit());
            n = channel.read(buffer);
          }
          if (n < 0) {
            if (peer == null) refuse("closed before its handshake completed", System.nanoTime());
            else lost(handler, "connection closed by the peer");
            return work + 1;
          }
          if (n == 0) break;
          work++;
          if (landing != null) {
            landingLeft -= n;
            if (landingLeft == 0) landed(handler);
            continue;
          }
          if (peer == null && !readHello()) return work;
          if (peer != null && !deliver(handler)) return work;
        }
      } catch (IOException e) {
        if (peer == null) refuse("connection lost during the handshake: " + e.getMessage(), System.nanoTime());
        else lost(handler, "connection lost: " + e.getMessage());
      }
      return work;
    }

    /**
     * How far the next read may fill the frame buffer: to the end of the frame in progress, or of a DATA
     * header while its payload may still go straight to a fetch's pages. A read never takes bytes of the
     * frame after, so a payload that can land in place is never read into this buffer.
     */
    private int readLimit() {
      int end = buffer.position();
      int limit;
      if (end - start < Frames.HEADER_BYTES) limit = start + Frames.DATA_HEADER_BYTES;
      else {
        int length = Frames.HEADER_BYTES + view.getInt(start + Frames.BODY_LENGTH_OFFSET);
        boolean dataHeaderDue = view.getByte(start + Frames.TYPE_OFFSET) == Frames.DATA && end - start < Frames.DATA_HEADER_BYTES;
        limit = dataHeaderDue ? start + Frames.DATA_HEADER_BYTES : start + Math.max(length, Frames.HEADER_BYTES);
      }
      return Math.max(end, Math.min(buffer.capacity(), limit));
    }

    /** Reads what is left of a payload whose landing is no longer live into the frame buffer, and drops it. */
    private int discard() throws IOException {
      buffer.clear().limit(Math.min(landingLeft, buffer.capacity()));
      int n = channel.read(buffer);
      buffer.clear();
      return n;
    }

    /** The payload is in its landing (or dropped): the engine checks it; frames follow on the buffer. */
    private void landed(FrameHandler handler) {
      Landing l = landing;
      landing = null;
      if (l.live()) landedBytes += l.length;
      handler.onLanded(landedHeader, 0, l);
    }

    /**
     * Checks the HELLO once it has arrived whole and answers it; false when the connection was refused.
     * When it passes, the frame buffer takes whatever followed the HELLO.
     */
    private boolean readHello() throws IOException {
      int end = buffer.position();
      if (end < Frames.HEADER_BYTES) return true;
      int length = Frames.HEADER_BYTES + view.getInt(Frames.BODY_LENGTH_OFFSET);
      if (view.getByte(Frames.TYPE_OFFSET) != Frames.HELLO || length < Frames.HEADER_BYTES || length > buffer.capacity()) {
        refuse("it did not open with a handshake", System.nanoTime());
        return false;
      }
      if (end < length) return true;
      TcpHandshake.Hello hello;
      try {
        hello = TcpHandshake.parseHello(view, length);
      } catch (IllegalStateException e) {
        refuse("malformed handshake: " + e.getMessage(), System.nanoTime());
        return false;
      }
      if (!handshake.verify(hello, acceptorNonce)) {
        refuse("wrong handshake proof from " + hello.endpoint() + ": it does not hold this cluster's secret", System.nanoTime());
        return false;
      }
      ByteBuffer proof = ByteBuffer.wrap(handshake.acceptProof(hello.connectorNonce(), acceptorNonce));
      channel.write(proof);
      if (proof.hasRemaining()) {
        refuse("cannot answer its handshake", System.nanoTime());
        return false;
      }
      handshaking.remove(this);
      peer = hello.endpoint();
      ByteBuffer frames = ByteBuffer.allocateDirect(Frames.DATA_HEADER_BYTES + Math.max(frameBytes, Frames.MAX_CONTROL_BYTES));
      buffer.flip().position(length);
      frames.put(buffer);
      buffer = frames;
      view = new UnsafeBuffer(frames);
      start = 0;
      return true;
    }

    /** Closes a connection that failed the handshake; nothing it sent reached the engine. */
    void refuse(String why, long nowNs) {
      handshaking.remove(this);
      String from;
      try {
        from = String.valueOf(channel.getRemoteAddress());
      } catch (IOException | RuntimeException e) {
        from = "a closed socket";
      }
      closeQuietly(channel);
      refusals.refused("TCP connection from " + from, why, nowNs);
    }

    /** Where the first frame not yet handed over starts in the buffer. */
    private int start;
    /** The DATA payload being read straight into a fetch's pages, and how many of its bytes are still to come. */
    private Landing landing;
    private int landingLeft;
    /** The header of that payload's frame, kept for the engine once the payload is in. */
    private final UnsafeBuffer landedHeader = new UnsafeBuffer(ByteBuffer.allocateDirect(Frames.DATA_HEADER_BYTES));

    /**
     * Hands every whole frame in the buffer to the handler, and starts reading a DATA payload straight
     * into its landing where the handler gives one; false when the stream is broken. The buffer is
     * compacted only when the frame in progress would not fit, so a large frame that arrives in many
     * reads is not moved again after each one.
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
        if (end - start == Frames.DATA_HEADER_BYTES && length > end - start && view.getByte(start + Frames.TYPE_OFFSET) == Frames.DATA
            && startLanding(handler, length)) {
          return true;
        }
        if (end - start < length) {
          needed = length;
          break;
        }
        if (view.getByte(start + Frames.TYPE_OFFSET) != Frames.HELLO) handler.onFrame(view, start, length);
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

    /**
     * A DATA header is in and nothing after it: if the handler has a landing for its payload, keeps the
     * header and reads the payload there from now on.
     */
    private boolean startLanding(FrameHandler handler, int frameLength) {
      Landing l = handler.landingFor(view, start);
      if (l == null) return false;
      landedHeader.putBytes(0, view, start, Frames.DATA_HEADER_BYTES);
      landing = l;
      landingLeft = frameLength - Frames.DATA_HEADER_BYTES;
      buffer.clear();
      start = 0;
      return true;
    }

    private void lost(FrameHandler handler, String why) {
      closeQuietly(channel);
      if (landing != null) {
        handler.onLandingLost(landing);
        landing = null;
      }
      if (peer != null) handler.onPeerLost(peer, why);
    }
  }

  /**
   * One outgoing connection of a link; at most one frame in progress. A frame is copied whole (header and
   * payload) into the connection's own direct buffer, so the payload's pages are free again once it is
   * taken; except a DATA payload that lies in the page pool ({@link #regions}) and whose run the link holds:
   * then the header alone is copied and the payload written from its pages (one gathering write). It takes
   * frames only once the accepting side has answered the handshake with the right proof.
   */
  private final class Outgoing {
    private final TcpLink link;
    private final SocketChannel channel;
    private final ByteBuffer frame = ByteBuffer.allocateDirect(Math.max(Frames.MAX_CONTROL_BYTES, Frames.DATA_HEADER_BYTES + frameBytes));
    private final UnsafeBuffer frameView = new UnsafeBuffer(frame);
    /** One view per region, positioned over the payload in progress; and the header then that view, for a gathering write. */
    private final ByteBuffer[] regionViews = new ByteBuffer[regions.length];
    private final ByteBuffer[] gather = new ByteBuffer[2];
    /** Whether the frame in progress is written from {@link #gather}, its payload from its pages, of this length. */
    private boolean inPlace;
    private int payloadLength;
    /** The link's number of the frame in progress written from its pages; {@link TcpLink#IDLE} when none. */
    long inPlaceSeq = TcpLink.IDLE;
    /** The challenge, then the accepting side's proof, as they arrive. */
    private ByteBuffer handshakeIn = ByteBuffer.allocate(TcpHandshake.CHALLENGE_BYTES);
    private byte[] acceptorNonce;
    private byte[] connectorNonce;
    /** True once the handshake passed: frames may be sent. */
    private boolean connected;
    private boolean busy;

    Outgoing(TcpLink link, InetSocketAddress address) throws IOException {
      this.link = link;
      for (int i = 0; i < regions.length; i++) regionViews[i] = regions[i].duplicate();
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
          connected();
          return 1;
        }
      } catch (IOException e) {
        link.failure = "cannot connect to " + link.endpoint + ": " + e.getMessage();
      }
      return 0;
    }

    /** The TCP connection is up: wait for the challenge. */
    private void connected() throws IOException {
      SelectionKey key = channel.keyFor(selector);
      if (key == null) channel.register(selector, SelectionKey.OP_READ, this);
      else key.interestOps(SelectionKey.OP_READ);
    }

    /** Reads the challenge (then answers it with a HELLO) and the accepting side's proof. */
    int readHandshake() {
      try {
        int n = channel.read(handshakeIn);
        if (n < 0) {
          link.failure = link.endpoint + " closed the connection during the handshake: it refused this node's cluster secret,"
              + " or is no tensorfs transport";
          return 1;
        }
        if (handshakeIn.hasRemaining()) return n > 0 ? 1 : 0;
        if (acceptorNonce == null) sendHello();
        else checkProof();
      } catch (IOException e) {
        link.failure = "connection to " + link.endpoint + " lost during the handshake: " + e.getMessage();
      }
      return 1;
    }

    private void sendHello() {
      acceptorNonce = TcpHandshake.acceptorNonce(handshakeIn);
      if (acceptorNonce == null) {
        link.failure = link.endpoint + " is no tensorfs transport (it sent no handshake challenge)";
        return;
      }
      connectorNonce = handshake.nonce();
      int n = handshake.hello(new Frames.Writer(frameView), endpoint, acceptorNonce, connectorNonce);
      frame.clear().limit(n);
      busy = true;
      handshakeIn = ByteBuffer.allocate(TcpHandshake.PROOF_BYTES);
      flush();
    }

    private void checkProof() {
      if (!handshake.verifyAccept(handshakeIn.array(), connectorNonce, acceptorNonce)) {
        link.failure = link.endpoint + " answered the handshake with a wrong proof: it does not hold this cluster's secret";
        return;
      }
      channel.keyFor(selector).interestOps(0);
      connected = true;
    }

    /** Writes what the socket takes; true when nothing is left pending. */
    boolean flush() {
      if (!busy) return true;
      try {
        if (inPlace) {
          channel.write(gather);
          busy = gather[1].hasRemaining();
        } else {
          channel.write(frame);
          busy = frame.hasRemaining();
        }
      } catch (IOException e) {
        link.failure = "connection to " + link.endpoint + " lost: " + e.getMessage();
      }
      if (!busy && inPlace) {
        sentInPlaceBytes += payloadLength;
        inPlace = false;
        inPlaceSeq = TcpLink.IDLE;
      }
      return !busy;
    }

    /**
     * Takes a frame if the connection is free. {@code seq}: the link's number for a frame whose payload may
     * be written from its pages (its run held by the link until written), or {@link TcpLink#IDLE}: copy it.
     */
    boolean offer(DirectBuffer frameHeader, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength, long seq) {
      if (!connected || !flush()) return false;
      frameView.putBytes(0, frameHeader, 0, headerLength);
      ByteBuffer pages = seq != TcpLink.IDLE && payloadLength > 0 ? inRegion(payload, payloadOffset, payloadLength) : null;
      if (pages != null) {
        frame.clear().limit(headerLength);
        gather[0] = frame;
        gather[1] = pages;
        this.payloadLength = payloadLength;
        inPlace = true;
        inPlaceSeq = seq;
      } else {
        if (payloadLength > 0) frameView.putBytes(headerLength, payload, payloadOffset, payloadLength);
        frame.clear().limit(headerLength + payloadLength);
      }
      busy = true;
      flush();
      return true;
    }

    /** This connection's view of the region {@code payload} lies in, over the payload; null when it lies in none (or on the heap). */
    private ByteBuffer inRegion(DirectBuffer payload, int offset, int length) {
      if (payload.byteArray() != null) return null;
      long address = payload.addressOffset() + offset;
      for (int i = 0; i < regions.length; i++) {
        long at = address - regionStarts[i];
        if (at >= 0 && at + length <= regions[i].capacity()) {
          ByteBuffer view = regionViews[i];
          view.clear().position((int) at).limit((int) at + length);
          return view;
        }
      }
      return null;
    }
  }

  /**
   * The connections to one peer. DATA frames are striped over them; a payload written from its pages keeps
   * its run (and any {@link #afterSent} action) waiting until every frame taken before it that is written
   * from pages has been written, on whichever connection: frames are numbered as they are taken, and what
   * waits goes once the lowest number still being written is past its own.
   */
  private final class TcpLink implements Link {
    /** No frame written from pages in progress. */
    static final long IDLE = Long.MAX_VALUE;

    private final String endpoint;
    private final Outgoing[] connections;
    private final long createdNs = System.nanoTime();
    private String failure;
    /** The number the next frame taken gets. */
    private long nextSeq;
    /** Runs and actions waiting for the frames taken before them, in order, and the number each waits past. */
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private final LongArrayQueue waitingUntil = new LongArrayQueue(64, IDLE);

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
    public boolean offer(int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
      if (failure != null) return false;
      return connections[Math.floorMod(stripe, connections.length)].offer(header, headerLength, payload, payloadOffset, payloadLength, IDLE);
    }

    @Override
    public boolean offer(
        int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength, PageRun releaseWhenSent) {
      if (failure != null) return false;
      if (!connections[Math.floorMod(stripe, connections.length)].offer(header, headerLength, payload, payloadOffset, payloadLength, nextSeq)) {
        return false;
      }
      nextSeq++;
      if (releaseWhenSent != null) whenWritten(releaseWhenSent);
      return true;
    }

    @Override
    public void afterSent(Runnable action) {
      whenWritten(action);
    }

    /** Gives {@code item} back (a run) or runs it (an action) once every frame taken so far is written from its pages. */
    private void whenWritten(Object item) {
      if (waiting.isEmpty() && lowestInProgress() >= nextSeq) done(item);
      else {
        waiting.addLast(item);
        waitingUntil.addLong(nextSeq);
      }
    }

    private long lowestInProgress() {
      long lowest = IDLE;
      for (Outgoing c : connections) {
        if (c != null && c.inPlaceSeq < lowest) lowest = c.inPlaceSeq;
      }
      return lowest;
    }

    private void releaseWritten() {
      if (waiting.isEmpty()) return;
      long lowest = lowestInProgress();
      while (!waiting.isEmpty() && waitingUntil.peekLong() <= lowest) {
        waitingUntil.pollLong();
        done(waiting.pollFirst());
      }
    }

    private void done(Object item) {
      if (item instanceof PageRun run) Link.release(run);
      else ((Runnable) item).run();
    }

    int flush() {
      int work = 0;
      for (Outgoing c : connections) {
        if (c != null && c.busy && failure == null && c.flush()) work++;
      }
      releaseWritten();
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

    /** Closes the connections; nothing is written from pages any more, so what waited for that goes now. */
    @Override
    public void close() {
      links.remove(this);
      for (Outgoing c : connections) {
        if (c != null) {
          closeQuietly(c.channel);
          c.inPlaceSeq = IDLE;
        }
      }
      releaseWritten();
    }
  }
}
