package io.tensorfs.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.AeronDrivers;
import io.tensorfs.transport.internal.AeronWire;
import io.tensorfs.transport.internal.Endpoints;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk transfer over Aeron: UDP between hosts, IPC between nodes that share a media driver (one per
 * host, {@link MediaDriverMain}), chosen per peer from its endpoint. {@link #kind()} is
 * {@code aeron-udp}, or {@code aeron-ipc} for an IPC-only transport ({@code aeron.mode = ipc}).
 *
 * <p>With {@code aeron.lanes} above one, the node runs that many lanes on its one Aeron client, each a wire
 * with its own UDP port and IPC stream and its own transport thread, and starts its transfers on them in turn
 * (as {@link TcpTransport}'s lanes): a frame's CRC32C and its copy from the driver's buffers into the pages
 * take a thread per lane instead of one for the node. The driver's own threads stay as configured. Endpoint:
 * the first lane's, naming every lane: {@code aeron-udp://host:port?driver=<id>&ipc=<stream>&lanes=port:stream,...}
 * or {@code aeron-ipc://<driver id>/<stream>?lanes=stream,...} (a peer of one lane reaches the first).
 * Thread-safe.
 */
public final class AeronTransport extends EngineTransport {
  private static final Logger log = LoggerFactory.getLogger(AeronTransport.class);

  private final List<AeronWire> wires;
  private final Aeron aeron;
  private final MediaDriver driver;

  private AeronTransport(List<AeronWire> wires, Aeron aeron, MediaDriver driver, ChunkService service, Materializer materializer,
      TransportSettings settings, ClusterSecret secret) {
    super(wires, service, materializer, settings.engine(), secret);
    this.wires = wires;
    this.aeron = aeron;
    this.driver = driver;
  }

  /**
   * Connects to the media driver at {@code aeron.dir} (starting one in this JVM when configured or
   * when none runs there), subscribes on this node's endpoint and starts the transport thread (one per
   * lane; lane i on the configured port plus i, or on a free port when the port is 0). Aeron itself
   * authenticates nobody: the requests that start transfers are signed with {@code secret}.
   */
  public static AeronTransport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    TransportSettings.Aeron a = settings.aeron();
    if (a.mode().equals("udp") && settings.port() != 0 && settings.port() + a.lanes() - 1 > 65535) {
      throw new IllegalArgumentException("tensorfs.transport.port " + settings.port() + " leaves no port for lane " + (65536 - settings.port())
          + " of tensorfs.transport.aeron.lanes " + a.lanes() + " (lane i listens on port + i)");
    }
    if (a.mode().equals("udp")) AeronDrivers.socketBufferShortfall(a.socketBufferBytes()).ifPresent(log::warn);
    MediaDriver driver = AeronDrivers.embedIfNeeded(a);
    Aeron aeron = null;
    List<AeronWire> wires = new ArrayList<>();
    try {
      aeron = Aeron.connect(new Aeron.Context()
          .aeronDirectoryName(a.dir())
          .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(a.driverTimeoutNs()))
          .clientName("tensorfs-transport")
          .errorHandler(e -> log.warn("aeron client: {}", e.toString())));
      for (int i = 0; i < a.lanes(); i++) {
        int port = settings.port() == 0 ? 0 : settings.port() + i;
        wires.add(new AeronWire(aeron, a, settings.bindHost(), settings.advertiseHost(), port, i, settings.engine().connectTimeoutNs()));
      }
      return new AeronTransport(List.copyOf(wires), aeron, driver, service, materializer, settings, secret);
    } catch (RuntimeException e) {
      for (AeronWire w : wires) w.close();
      if (aeron != null) aeron.close();
      if (driver != null) driver.close();
      throw e;
    }
  }

  /** A lane is named by its UDP port and IPC stream ({@code port:stream}), or by its IPC stream alone. */
  @Override
  String laneName(URI lane) {
    return "aeron-udp".equals(lane.getScheme()) ? lane.getPort() + ":" + Endpoints.query(lane).get("ipc") : lane.getPath().substring(1);
  }

  /** A peer's lane: over UDP its host at the lane's port, with the lane's IPC stream on its driver; over IPC the lane's stream. */
  @Override
  String laneEndpoint(URI peer, String name) {
    if (peer.getHost() == null) return null;
    if ("aeron-ipc".equals(peer.getScheme())) {
      int stream = Endpoints.positive(name, Integer.MAX_VALUE);
      return stream < 0 ? null : "aeron-ipc://" + peer.getHost() + "/" + stream;
    }
    int colon = name.indexOf(':');
    if (!"aeron-udp".equals(peer.getScheme()) || peer.getPort() <= 0 || colon < 0) return null;
    int port = Endpoints.positive(name.substring(0, colon), 65535);
    int stream = Endpoints.positive(name.substring(colon + 1), Integer.MAX_VALUE);
    if (port < 0 || stream < 0) return null;
    String driverId = Endpoints.query(peer).get("driver");
    return "aeron-udp://" + Endpoints.hostForUri(peer.getHost()) + ":" + port + (driverId == null ? "" : "?driver=" + driverId + "&ipc=" + stream);
  }

  /** Bytes of the frames each lane has received since start, in lane order. */
  long[] receivedBytesPerLane() {
    long[] n = new long[wires.size()];
    for (int i = 0; i < n.length; i++) n[i] = wires.get(i).receivedBytes();
    return n;
  }

  @Override
  void closeResources() {
    aeron.close();
    if (driver != null) driver.close();
  }
}
