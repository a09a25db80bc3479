package io.tensorfs.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.AeronDrivers;
import io.tensorfs.transport.internal.AeronWire;
import io.tensorfs.transport.internal.Endpoints;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
  private final String endpoint;

  private AeronTransport(List<AeronWire> wires, Aeron aeron, MediaDriver driver, ChunkService service, Materializer materializer,
      TransportSettings settings, ClusterSecret secret) {
    super(wires, service, materializer, settings.engine(), secret);
    this.wires = wires;
    this.aeron = aeron;
    this.driver = driver;
    this.endpoint = wires.size() == 1 ? wires.get(0).localEndpoint() : withLanes(laneLocalEndpoints());
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

  /** The first lane's endpoint naming every lane: its UDP port and IPC stream, or its IPC stream alone. */
  private static String withLanes(List<String> lanes) {
    String first = lanes.get(0);
    boolean udp = first.startsWith("aeron-udp:");
    StringBuilder b = new StringBuilder(first).append(udp ? "&lanes=" : "?lanes=");
    for (int i = 0; i < lanes.size(); i++) {
      URI lane = Endpoints.parse(lanes.get(i));
      if (i > 0) b.append(',');
      b.append(udp ? lane.getPort() + ":" + Endpoints.query(lane).get("ipc") : lane.getPath().substring(1));
    }
    return b.toString();
  }

  @Override
  public String localEndpoint() {
    return endpoint;
  }

  /**
   * The peer's lanes from its endpoint's {@code lanes} list: for UDP its host at each lane's port, with that
   * lane's IPC stream on its driver; for IPC each lane's stream on its driver. A peer without the list is one
   * lane; so is one whose list does not parse (reached at its first lane, as a peer of one lane would reach
   * it); an endpoint that is no Aeron endpoint is left to the wire to refuse.
   */
  @Override
  String[] laneEndpoints(String peer) {
    URI uri;
    try {
      uri = Endpoints.parse(peer);
    } catch (TfsException e) {
      return new String[] {peer};
    }
    Map<String, String> q = Endpoints.query(uri);
    String lanes = q.get("lanes");
    if (lanes == null || uri.getHost() == null) return new String[] {peer};
    String[] items = lanes.split(",");
    String[] out = new String[items.length];
    for (int i = 0; i < items.length; i++) {
      if ("aeron-udp".equals(uri.getScheme()) && uri.getPort() > 0) {
        int colon = items[i].indexOf(':');
        int port = colon < 0 ? -1 : Endpoints.positive(items[i].substring(0, colon), 65535);
        int stream = colon < 0 ? -1 : Endpoints.positive(items[i].substring(colon + 1), Integer.MAX_VALUE);
        if (port < 0 || stream < 0) return new String[] {peer};
        String driverId = q.get("driver");
        out[i] = "aeron-udp://" + Endpoints.hostForUri(uri.getHost()) + ":" + port
            + (driverId == null ? "" : "?driver=" + driverId + "&ipc=" + stream);
      } else if ("aeron-ipc".equals(uri.getScheme())) {
        int stream = Endpoints.positive(items[i], Integer.MAX_VALUE);
        if (stream < 0) return new String[] {peer};
        out[i] = "aeron-ipc://" + uri.getHost() + "/" + stream;
      } else {
        return new String[] {peer};
      }
    }
    return out;
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
