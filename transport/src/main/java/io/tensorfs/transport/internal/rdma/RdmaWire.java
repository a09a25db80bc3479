package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.internal.FrameHandler;
import io.tensorfs.transport.internal.Frames;
import io.tensorfs.transport.internal.Link;
import io.tensorfs.transport.internal.Refusals;
import io.tensorfs.transport.internal.Wire;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames over RDMA reliable-connected queue pairs: two-sided SEND/RECV through registered rings ({@link
 * SendRing}, {@link ReceiveRing}); the engine's frame protocol is unchanged. Like the TCP wire, connections
 * are one-way: a node sends only on queue pairs it connected and receives only on those it accepted. A
 * connection is set up over TCP ({@link RdmaHandshake}: proof of the cluster's secret, then queue pair
 * numbers, LIDs, GIDs and ring sizes) on a connection thread, which then keeps the TCP socket open and
 * waits on it: its close is how a peer's going away is seen, beside failed work completions. Endpoint:
 * {@link RdmaEndpoint}. Frames are posted and polled on the engine's agent thread only; connection
 * threads hand finished connections over through a queue. The node's page pool is registered once at
 * start ({@link RegisteredRegions}), as far as the memlock limit allows while leaving room for {@code
 * memlock-reserve-rings} rings: a frame whose payload lies in a registered region is sent from its pages,
 * and the run it ends goes back only after its SEND completed.
 */
public final class RdmaWire implements Wire {
  private static final Logger log = LoggerFactory.getLogger(RdmaWire.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Nic nic;
  private final RegisteredRegions regions;
  private final RdmaSettings settings;
  private final byte[] key;
  private final long connectTimeoutNs;
  private final ServerSocket server;
  private final String endpoint;
  private final Refusals refusals = new Refusals("rdma");
  private final ConcurrentLinkedQueue<Inbound> arrived = new ConcurrentLinkedQueue<>();
  private final List<Inbound> inbound = new ArrayList<>();
  private final List<RdmaLink> links = new ArrayList<>();
  private final AtomicLong copiedPayloadBytes = new AtomicLong();
  private final AtomicLong framesFromPages = new AtomicLong();
  private volatile boolean closed;

  /**
   * Opens the configured device, registers {@code registrable} (the page pool's regions, as many as the
   * memlock limit allows after the rings' reserve) with it once, and
   * listens for connections on {@code bindHost:port}.
   *
   * @throws IllegalStateException when the device cannot be used; the message says why
   */
  public static RdmaWire open(
      RdmaSettings settings, String bindHost, int port, String advertiseHost, long connectTimeoutNs, byte[] key, List<ByteBuffer> registrable)
      throws IOException {
    Nic nic = VerbsNic.open(settings.device(), settings.port(), settings.gidIndex());
    try {
      return new RdmaWire(nic, settings, bindHost, port, advertiseHost, connectTimeoutNs, key, registrable);
    } catch (IOException | RuntimeException e) {
      nic.close();
      throw e;
    }
  }

  RdmaWire(Nic nic, RdmaSettings settings, String bindHost, int port, String advertiseHost, long connectTimeoutNs, byte[] key,
      List<ByteBuffer> registrable) throws IOException {
    this.nic = nic;
    this.settings = settings;
    this.regions = RegisteredRegions.register(nic, registrable, settings.memlockReserveBytes());
    this.key = key.clone();
    this.connectTimeoutNs = connectTimeoutNs;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(bindHost, port));
    this.endpoint = new RdmaEndpoint(advertiseHost, server.getLocalPort(), settings.frameBytes()).toString();
    Thread t = new Thread(this::acceptLoop, "tensorfs-rdma-accept");
    t.setDaemon(true);
    t.start();
    log.info("RDMA wire on {} at {}", nic.device(), endpoint);
  }

  @Override
  public String kind() {
    return "rdma";
  }

  @Override
  public String localEndpoint() {
    return endpoint;
  }

  @Override
  public int maxPayloadBytes(String peer) {
    return Math.min(settings.frameBytes(), RdmaEndpoint.parse(peer).frameBytes()) - Frames.DATA_HEADER_BYTES;
  }

  @Override
  public Link link(String peer) {
    RdmaLink link = new RdmaLink(peer, RdmaEndpoint.parse(peer));
    links.add(link);
    return link;
  }

  /** Connections refused since start because their handshake failed. */
  public long refused() {
    return refusals.count();
  }

  /** DATA payload bytes copied into send rings since start (payloads outside the registered pool). Any thread. */
  public long copiedPayloadBytes() {
    return copiedPayloadBytes.get();
  }

  /** Frames sent since start with their payload read from the registered pool where it lies. Any thread. */
  public long framesSentFromPages() {
    return framesFromPages.get();
  }

  @Override
  public int poll(FrameHandler handler, long nowNs) {
    int work = 0;
    for (Inbound in = arrived.poll(); in != null; in = arrived.poll()) inbound.add(in);
    for (int i = inbound.size() - 1; i >= 0; i--) {
      Inbound in = inbound.get(i);
      work += in.ring.poll(handler);
      String why = in.ring.failure() != null ? in.ring.failure() : in.lost;
      if (why != null) {
        inbound.remove(i);
        in.close();
        handler.onPeerLost(in.peer, why);
        work++;
      }
    }
    for (int i = 0; i < links.size(); i++) work += links.get(i).poll();
    return work;
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (RdmaLink l : new ArrayList<>(links)) l.close();
    for (Inbound in = arrived.poll(); in != null; in = arrived.poll()) inbound.add(in);
    for (Inbound in : inbound) in.close();
    inbound.clear();
    regions.deregister();
    nic.close();
  }

  // ---- connection threads ----

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "tensorfs-rdma-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) log.warn("RDMA wire: accept failed: {}", e.toString());
      }
    }
  }

  /** An accepted connection: the handshake, the receive ring, then waiting for the socket to close. */
  private void serve(Socket socket) {
    Inbound[] made = new Inbound[1];
    boolean handed = false;
    try {
      socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs)));
      socket.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
      new RdmaHandshake(key).accept(in, out, hello -> {
        made[0] = new Inbound(hello.endpoint(), socket);
        return made[0].connect(hello.info());
      });
      socket.setSoTimeout(0);
      arrived.add(made[0]);
      handed = true;
      while (in.read() >= 0) {
        // the peer sends nothing more over TCP: anything read is ignored, the end is what matters
      }
      made[0].lost = "connection closed by the peer";
    } catch (IOException | RuntimeException e) {
      if (handed) made[0].lost = "connection lost: " + e.getMessage();
      else refuse(socket, e.getMessage());
    } finally {
      if (!handed && made[0] != null) made[0].close();
    }
  }

  private void refuse(Socket socket, String why) {
    String from = String.valueOf(socket.getRemoteSocketAddress());
    closeQuietly(socket);
    if (closed) return;
    synchronized (refusals) {
      refusals.refused("RDMA connection from " + from, why, System.nanoTime());
    }
  }

  private static int psn() {
    return RANDOM.nextInt() & 0xFFFFFF;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  /** Queue pair depth: every slot, the credit messages, and one spare. */
  private int depth() {
    return settings.ringSlots() + ReceiveRing.creditMessages(settings.ringSlots(), RdmaSettings.creditBatch(settings.ringSlots())) + 1;
  }

  /** One accepted connection: frames from {@code peer} arrive in its receive ring. */
  private final class Inbound {
    final String peer;
    final Socket socket;
    ByteBuffer memory;
    ReceiveRing ring;
    QueuePair qp;
    volatile boolean connected;
    /** Set by the connection thread when the socket closed. */
    volatile String lost;

    Inbound(String peer, Socket socket) {
      this.peer = peer;
      this.socket = socket;
    }

    /** Makes the queue pair, posts the ring, moves to ready-to-send towards the peer: this side's answer. */
    ConnectInfo connect(ConnectInfo remote) {
      int slots = settings.ringSlots();
      qp = nic.queuePair(depth(), depth());
      memory = ByteBuffer.allocateDirect(slots * settings.frameBytes());
      int lkey = nic.register(memory);
      ring = new ReceiveRing(qp, memory, lkey, slots, settings.frameBytes(), RdmaSettings.creditBatch(slots),
          ReceiveRing.creditMessages(slots, RdmaSettings.creditBatch(slots)));
      int psn = psn();
      qp.connect(remote, psn);
      connected = true;
      return new ConnectInfo(qp.number(), psn, nic.lid(), nic.gid(), slots, settings.frameBytes());
    }

    void close() {
      closeQuietly(socket);
      if (qp != null) qp.close();
      if (memory != null) nic.deregister(memory);
    }
  }

  /**
   * An outgoing connection. Its connection thread does the handshake and installs the send ring; until
   * then (and after a failure) {@link #offer} refuses frames. Offered, polled and closed on the engine's
   * agent thread.
   */
  private final class RdmaLink implements Link {
    private final String peer;
    private final RdmaEndpoint address;
    private final long createdNs = System.nanoTime();
    private final Socket socket = new Socket();
    private volatile SendRing ring;
    private volatile String failure;
    private ByteBuffer memory;
    private QueuePair qp;
    private boolean closedLink;

    RdmaLink(String peer, RdmaEndpoint address) {
      this.peer = peer;
      this.address = address;
      Thread t = new Thread(this::connectAndWait, "tensorfs-rdma-connection");
      t.setDaemon(true);
      t.start();
    }

    private void connectAndWait() {
      try {
        int timeoutMs = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs));
        socket.connect(new InetSocketAddress(address.host(), address.port()), timeoutMs);
        socket.setSoTimeout(timeoutMs);
        socket.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        int psn = psn();
        int lkey;
        synchronized (this) {
          if (closedLink) return;
          qp = nic.queuePair(depth(), depth());
          memory = ByteBuffer.allocateDirect(settings.ringSlots() * settings.frameBytes());
          lkey = nic.register(memory);
        }
        ConnectInfo mine = new ConnectInfo(qp.number(), psn, nic.lid(), nic.gid(), settings.ringSlots(), settings.frameBytes());
        ConnectInfo theirs = new RdmaHandshake(key).connect(in, out, endpoint, mine);
        synchronized (this) {
          if (closedLink) return;
          int peerBatch = RdmaSettings.creditBatch(theirs.slots());
          SendRing made = new SendRing(qp, memory, lkey, settings.ringSlots(), settings.frameBytes(), theirs.slots(),
              ReceiveRing.creditMessages(theirs.slots(), peerBatch), regions);
          qp.connect(theirs, psn);
          ring = made;
        }
        socket.setSoTimeout(0);
        while (socket.getInputStream().read() >= 0) {
          // nothing more comes over TCP; its end is what matters
        }
        fail("connection to " + peer + " closed by the peer");
      } catch (RdmaHandshake.Refused e) {
        fail(peer + " refused: " + e.getMessage());
      } catch (IOException | RuntimeException e) {
        fail((ring == null ? "cannot connect to " : "connection lost to ") + peer + ": " + e.getMessage());
      }
    }

    private void fail(String why) {
      if (failure == null) failure = why;
    }

    @Override
    public String endpoint() {
      return peer;
    }

    @Override
    public boolean offer(int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
      return offer(stripe, header, headerLength, payload, payloadOffset, payloadLength, null);
    }

    @Override
    public boolean offer(
        int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength, PageRun releaseWhenSent) {
      SendRing r = ring;
      if (r == null || failure != null || closedLink) return false;
      long copied = r.copiedPayloadBytes();
      long fromPages = r.framesFromPages();
      if (!r.offer(header, headerLength, payload, payloadOffset, payloadLength, releaseWhenSent)) return false;
      if (r.copiedPayloadBytes() != copied) copiedPayloadBytes.lazySet(copiedPayloadBytes.get() + r.copiedPayloadBytes() - copied);
      if (r.framesFromPages() != fromPages) framesFromPages.lazySet(framesFromPages.get() + 1);
      return true;
    }

    @Override
    public void afterSent(Runnable action) {
      SendRing r = ring;
      if (r == null || closedLink) action.run(); // nothing posted, or the queue pair is gone
      else r.afterSent(action); // after a failure, at the latest when the engine closes the link
    }

    int poll() {
      SendRing r = ring;
      if (r == null || failure != null) return 0;
      int work = r.poll();
      if (r.failure() != null) fail(r.failure());
      return work;
    }

    @Override
    public String failure(long nowNs) {
      if (failure != null) return failure;
      if (ring == null && nowNs - createdNs > connectTimeoutNs) {
        return "cannot connect to " + peer + " within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms";
      }
      return null;
    }

    @Override
    public void close() {
      links.remove(this);
      closeQuietly(socket);
      synchronized (this) {
        closedLink = true;
        if (qp != null) qp.close();
        if (memory != null) nic.deregister(memory);
      }
      // The queue pair is destroyed: the device reads none of the pages any more.
      SendRing r = ring;
      if (r != null) r.releaseAll();
    }
  }
}
