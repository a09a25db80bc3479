package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.Endpoints;
import io.tensorfs.transport.internal.TcpWire;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.stream.Materializer;

/**
 * The TCP fallback: each transfer striped over {@code tensorfs.transport.tcp.streams} connections and
 * put back in offset order by the receiver; each connection opens with an HMAC challenge-response over
 * the cluster's secret. A fetch into pages reads each payload from the socket to its place there; a payload
 * served from the node's page pool is written to the socket from its page.
 *
 * <p>With {@code tcp.lanes} above one, the node runs that many lanes, each its own listening socket, wire
 * and transport thread, and starts its transfers on them in turn: receiving a transfer (a socket read and
 * the CRC32C of every byte) and serving one take a thread per lane instead of one for the node. Endpoint:
 * {@code tcp://host:port}, or with several lanes {@code tcp://host:port?lanes=port,port2,...}, the first
 * lane's address with every lane's port in order (a peer of one lane reaches the first).
 * Thread-safe.
 */
public final class TcpTransport extends EngineTransport {
  private final List<TcpWire> wires;

  private TcpTransport(List<TcpWire> wires, ChunkService service, Materializer materializer, TransportSettings settings, ClusterSecret secret) {
    super(wires, service, materializer, settings.engine(), secret);
    this.wires = wires;
  }

  /**
   * Listens on the configured host and port and starts the transport thread. Every connection, either
   * way, proves {@code secret} in a handshake before a frame moves.
   */
  public static TcpTransport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    return start(settings, materializer, service, secret, MemoryRegions.NONE);
  }

  /**
   * As {@link #start(TransportSettings, Materializer, ChunkService, ClusterSecret)}; a DATA payload that
   * lies in {@code inPlace} (the node's page pool) is written to the socket from its page, not copied.
   * Lane {@code i} listens on the configured port plus {@code i}, or on a free port when the port is 0.
   */
  public static TcpTransport start(
      TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret, MemoryRegions inPlace) {
    TransportSettings.Tcp tcp = settings.tcp();
    if (settings.port() != 0 && settings.port() + tcp.lanes() - 1 > 65535) {
      throw new IllegalArgumentException("tensorfs.transport.port " + settings.port() + " leaves no port for lane " + (65536 - settings.port())
          + " of tensorfs.transport.tcp.lanes " + tcp.lanes() + " (lane i listens on port + i)");
    }
    List<TcpWire> wires = new ArrayList<>();
    try {
      for (int i = 0; i < tcp.lanes(); i++) {
        int port = settings.port() == 0 ? 0 : settings.port() + i;
        wires.add(listening(settings, port, () -> new TcpWire(settings.bindHost(), port, settings.advertiseHost(),
            tcp.streams(), tcp.frameBytes(), tcp.socketBufferBytes(), settings.engine().connectTimeoutNs(), secret.key(), inPlace)));
      }
    } catch (RuntimeException e) {
      for (TcpWire w : wires) w.close();
      throw e;
    }
    return new TcpTransport(List.copyOf(wires), service, materializer, settings, secret);
  }

  /** A lane is named by its port. */
  @Override
  String laneName(URI lane) {
    return Integer.toString(lane.getPort());
  }

  /** A peer's lane: its host at the port named. */
  @Override
  String laneEndpoint(URI peer, String name) {
    int port = Endpoints.positive(name, 65535);
    if (!"tcp".equals(peer.getScheme()) || peer.getHost() == null || peer.getPort() <= 0 || port < 0) return null;
    return "tcp://" + Endpoints.hostForUri(peer.getHost()) + ":" + port;
  }

  /** Connections refused since start because their handshake failed. */
  public long refusedConnections() {
    long n = 0;
    for (TcpWire w : wires) n += w.refused();
    return n;
  }

  /** DATA payload bytes written to a socket from the pages they lie in since start. */
  public long sentInPlaceBytes() {
    long n = 0;
    for (TcpWire w : wires) n += w.sentInPlaceBytes();
    return n;
  }

  /** DATA payload bytes read from a socket straight into a fetch's pages since start. */
  public long landedBytes() {
    long n = 0;
    for (TcpWire w : wires) n += w.landedBytes();
    return n;
  }

  /** The same, per lane, in lane order. */
  long[] landedBytesPerLane() {
    long[] n = new long[wires.size()];
    for (int i = 0; i < n.length; i++) n[i] = wires.get(i).landedBytes();
    return n;
  }

  @Override
  void closeResources() {
    // the wires own every socket and are closed by their engines
  }
}
