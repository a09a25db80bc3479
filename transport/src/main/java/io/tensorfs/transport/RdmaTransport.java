package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.rdma.RdmaWire;
import org.apache.pekko.stream.Materializer;

/**
 * Chunk transfer over RDMA (libibverbs, reliable-connected queue pairs, two-sided sends through
 * registered rings), set up over a TCP handshake that proves the cluster's secret. Endpoint: {@code
 * rdma://host:port?frame-bytes=N}. Has never run on a device (see the README's RDMA section). Thread-safe.
 */
public final class RdmaTransport extends EngineTransport {
  private final RdmaWire wire;

  RdmaTransport(RdmaWire wire, ChunkService service, Materializer materializer, TransportSettings settings, ClusterSecret secret) {
    super(wire, service, materializer, settings.engine(), secret);
    this.wire = wire;
  }

  /**
   * Opens the configured device, listens for connection handshakes on the configured host and port, and
   * starts the transport thread.
   *
   * @throws IllegalStateException when the device cannot be used; the message says why
   */
  public static RdmaTransport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    return start(settings, materializer, service, secret, MemoryRegions.NONE);
  }

  /**
   * As {@link #start(TransportSettings, Materializer, ChunkService, ClusterSecret)}, registering {@code
   * registrable} (the node's page pool) with the device once: frames whose payload lies in it are sent from
   * its pages, the others copied into the connection's ring.
   */
  public static RdmaTransport start(
      TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret, MemoryRegions registrable) {
    RdmaWire wire = listening(settings, () -> RdmaWire.open(settings.rdma(), settings.bindHost(), settings.port(),
        settings.advertiseHost(), settings.engine().connectTimeoutNs(), secret.key(), registrable.regions()));
    return new RdmaTransport(wire, service, materializer, settings, secret);
  }

  /** Connections refused since start because their handshake failed. */
  public long refusedConnections() {
    return wire.refused();
  }

  /** DATA payload bytes copied into send rings since start (payloads outside registered memory). */
  public long copiedPayloadBytes() {
    return wire.copiedPayloadBytes();
  }

  /** DATA frames sent since start with their payload read from registered memory where it lies. */
  public long framesSentFromPages() {
    return wire.framesSentFromPages();
  }

  @Override
  void closeResources() {
    // the wire owns the device, its memory and its sockets, and is closed by the engine
  }
}
