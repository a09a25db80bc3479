package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.TcpWire;
import org.apache.pekko.stream.Materializer;

/**
 * The TCP fallback: each transfer striped over {@code tensorfs.transport.tcp.streams} connections and
 * put back in offset order by the receiver; each connection opens with an HMAC challenge-response over
 * the cluster's secret. A fetch into pages reads each payload from the socket to its place there; a payload
 * served from the node's page pool is written to the socket from its page. Endpoint: {@code tcp://host:port}.
 * Thread-safe.
 */
public final class TcpTransport extends EngineTransport {
  private final TcpWire wire;

  private TcpTransport(TcpWire wire, ChunkService service, Materializer materializer, TransportSettings settings, ClusterSecret secret) {
    super(wire, service, materializer, settings.engine(), secret);
    this.wire = wire;
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
   */
  public static TcpTransport start(
      TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret, MemoryRegions inPlace) {
    TransportSettings.Tcp tcp = settings.tcp();
    TcpWire wire = listening(settings, () -> new TcpWire(settings.bindHost(), settings.port(), settings.advertiseHost(),
        tcp.streams(), tcp.frameBytes(), tcp.socketBufferBytes(), settings.engine().connectTimeoutNs(), secret.key(), inPlace));
    return new TcpTransport(wire, service, materializer, settings, secret);
  }

  /** Connections refused since start because their handshake failed. */
  public long refusedConnections() {
    return wire.refused();
  }

  /** DATA payload bytes written to a socket from the pages they lie in since start. */
  public long sentInPlaceBytes() {
    return wire.sentInPlaceBytes();
  }

  /** DATA payload bytes read from a socket straight into a fetch's pages since start. */
  public long landedBytes() {
    return wire.landedBytes();
  }

  @Override
  void closeResources() {
    // the wire owns every socket and is closed by the engine
  }
}
