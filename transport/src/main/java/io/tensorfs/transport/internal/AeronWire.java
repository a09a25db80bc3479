package io.tensorfs.transport.internal;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.TransportSettings;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;

/**
 * Frames over Aeron. Every node subscribes on its own endpoint: in {@code udp} mode a UDP channel on
 * its port and an IPC stream of its own; in {@code ipc} mode only the IPC stream. A link is an
 * exclusive publication to the peer's endpoint, over IPC when the peer shares this node's media
 * driver (its endpoint names the same driver) and over UDP otherwise. Aeron's flow control holds a
 * publication back when the subscriber falls behind; the engine retries later, it never blocks.
 *
 * <p>Endpoints: {@code aeron-udp://host:port?driver=<id>&ipc=<stream>} and
 * {@code aeron-ipc://<driver id>/<stream>}. A transport of several lanes runs one wire per lane on one Aeron
 * client: each lane has its own UDP port and its own IPC stream ({@link #ipcStreamId}).
 */
public final class AeronWire implements Wire {
  /** Aeron's own header in front of each fragment. */
  private static final int AERON_HEADER_BYTES = 32;
  private static final int FRAGMENTS_PER_POLL = 256;

  private final Aeron aeron;
  private final TransportSettings.Aeron settings;
  private final long connectTimeoutNs;
  private final String driverId;
  private final int ipcStreamId;
  private final Subscription udp;
  private final Subscription ipc;
  private final String endpoint;
  private final FragmentAssembler udpAssembler = new FragmentAssembler(this::onFragment);
  private final FragmentAssembler ipcAssembler = new FragmentAssembler(this::onFragment);
  private FrameHandler handler;
  /** Bytes of the frames this wire received; written by its transport thread only. */
  private volatile long receivedBytes;

  /**
   * Subscribes for lane {@code lane} (0 for a transport of one); {@code port} 0 lets the system pick one (UDP
   * mode). Blocks until the endpoint is bound.
   */
  public AeronWire(Aeron aeron, TransportSettings.Aeron settings, String bindHost, String advertiseHost, int port, int lane,
      long connectTimeoutNs) {
    this.aeron = aeron;
    this.settings = settings;
    this.connectTimeoutNs = connectTimeoutNs;
    this.driverId = AeronDrivers.driverId(aeron);
    this.ipcStreamId = ipcStreamId(aeron.clientId(), lane);
    this.ipc = aeron.addSubscription("aeron:ipc", ipcStreamId);
    if (settings.mode().equals("ipc")) {
      this.udp = null;
      this.endpoint = "aeron-ipc://" + driverId + "/" + ipcStreamId;
    } else {
      this.udp = aeron.addSubscription("aeron:udp?endpoint=" + Endpoints.hostForUri(bindHost) + ":" + port
          + "|so-rcvbuf=" + settings.socketBufferBytes() + "|rcv-wnd=" + settings.receiverWindowBytes(), settings.streamId());
      int boundPort = boundPort(udp, settings.driverTimeoutNs());
      this.endpoint = "aeron-udp://" + Endpoints.hostForUri(advertiseHost) + ":" + boundPort + "?driver=" + driverId + "&ipc=" + ipcStreamId;
    }
  }

  /**
   * The IPC stream a lane of a client subscribes to: the client's id (unique among one driver's clients) in
   * the high bits, the lane in the low four, so no two lanes of a driver's clients share one.
   */
  static int ipcStreamId(long clientId, int lane) {
    if (lane < 0 || lane >= TransportSettings.MAX_LANES) throw new IllegalArgumentException("lane " + lane);
    return 0x40000000 | (int) ((clientId & 0x03FFFFFF) << 4) | lane;
  }

  private static int boundPort(Subscription sub, long timeoutNs) {
    long deadline = System.nanoTime() + timeoutNs;
    while (System.nanoTime() - deadline < 0) {
      List<String> bound = sub.localSocketAddresses();
      if (!bound.isEmpty()) {
        String a = bound.get(0);
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
      }
      Thread.onSpinWait();
    }
    throw new IllegalStateException("Aeron UDP subscription not bound after " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms");
  }

  @Override
  public String kind() {
    return udp == null ? "aeron-ipc" : "aeron-udp";
  }

  @Override
  public String localEndpoint() {
    return endpoint;
  }

  /** Where a peer's frames go: an IPC stream, or a UDP host:port. */
  private record Target(int ipcStream, String udpAddress) {}

  private Target target(String peer) {
    URI uri = Endpoints.parse(peer);
    if ("aeron-ipc".equals(uri.getScheme())) {
      String path = uri.getPath() == null ? "" : uri.getPath();
      if (!driverId.equals(uri.getHost()) || path.length() < 2) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "cannot reach " + peer + " over IPC: it uses another media driver than " + driverId);
      }
      return new Target(parseStream(path.substring(1), peer), null);
    }
    if ("aeron-udp".equals(uri.getScheme()) && uri.getHost() != null && uri.getPort() > 0) {
      Map<String, String> q = Endpoints.query(uri);
      if (settings.ipcToLocalPeers() && driverId.equals(q.get("driver")) && q.containsKey("ipc")) {
        return new Target(parseStream(q.get("ipc"), peer), null);
      }
      if (udp == null) throw new TfsException(ErrorCode.BAD_REQUEST, "an IPC-only transport cannot reach " + peer);
      return new Target(0, Endpoints.hostForUri(uri.getHost()) + ":" + uri.getPort());
    }
    throw new TfsException(ErrorCode.BAD_REQUEST, "not an aeron endpoint: " + peer);
  }

  private static int parseStream(String text, String peer) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "bad IPC stream in " + peer);
    }
  }

  /**
   * UDP frames fit one datagram. IPC frames are at most {@code ipc-frame-bytes} and never longer than one
   * fragment either: Aeron reassembles a longer message in a heap buffer of its own before the engine
   * sees it, a copy the receiver would make before its copy into the pages.
   */
  @Override
  public int maxPayloadBytes(String peer) {
    int oneFragment = settings.mtuBytes() - AERON_HEADER_BYTES - Frames.DATA_HEADER_BYTES;
    return target(peer).udpAddress() == null ? Math.min(settings.ipcFrameBytes(), oneFragment) : oneFragment;
  }

  @Override
  public Link link(String peer) {
    Target t = target(peer);
    ExclusivePublication pub = t.udpAddress() == null
        ? aeron.addExclusivePublication("aeron:ipc?term-length=" + settings.ipcTermLengthBytes() + "|mtu=" + settings.mtuBytes(), t.ipcStream())
        : aeron.addExclusivePublication("aeron:udp?endpoint=" + t.udpAddress() + "|mtu=" + settings.mtuBytes()
            + "|term-length=" + settings.termLengthBytes() + "|so-sndbuf=" + settings.socketBufferBytes(), settings.streamId());
    return new AeronLink(peer, pub);
  }

  @Override
  public int poll(FrameHandler frameHandler, long nowNs) {
    handler = frameHandler;
    int work = ipc.poll(ipcAssembler, FRAGMENTS_PER_POLL);
    if (udp != null) work += udp.poll(udpAssembler, FRAGMENTS_PER_POLL);
    return work;
  }

  private void onFragment(DirectBuffer buffer, int offset, int length, Header header) {
    receivedBytes += length;
    if (length >= Frames.HEADER_BYTES) handler.onFrame(buffer, offset, length);
  }

  /** Bytes of the frames (headers and payloads) this wire has received since it started. */
  public long receivedBytes() {
    return receivedBytes;
  }

  @Override
  public void close() {
    ipc.close();
    if (udp != null) udp.close();
  }

  private final class AeronLink implements Link {
    private final String peer;
    private final ExclusivePublication publication;
    private final long createdNs = System.nanoTime();
    private boolean everConnected;
    private String failure;

    AeronLink(String peer, ExclusivePublication publication) {
      this.peer = peer;
      this.publication = publication;
    }

    @Override
    public String endpoint() {
      return peer;
    }

    @Override
    public boolean offer(int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
      long result = payloadLength == 0
          ? publication.offer(header, 0, headerLength)
          : publication.offer(header, 0, headerLength, payload, payloadOffset, payloadLength);
      if (result > 0) {
        everConnected = true;
        return true;
      }
      if (result == Publication.CLOSED) failure = "publication to " + peer + " closed";
      else if (result == Publication.MAX_POSITION_EXCEEDED) failure = "publication to " + peer + " reached its maximum position";
      // BACK_PRESSURED, ADMIN_ACTION and NOT_CONNECTED: try again later (NOT_CONNECTED is bounded by failure()).
      return false;
    }

    @Override
    public String failure(long nowNs) {
      if (failure != null) return failure;
      if (publication.isConnected()) {
        everConnected = true;
        return null;
      }
      if (everConnected) return "disconnected";
      if (nowNs - createdNs > connectTimeoutNs) {
        return "not reachable within " + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms";
      }
      return null;
    }

    @Override
    public void close() {
      publication.close();
    }
  }
}
