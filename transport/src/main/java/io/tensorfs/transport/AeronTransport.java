package io.tensorfs.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.AeronDrivers;
import io.tensorfs.transport.internal.AeronWire;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk transfer over Aeron: UDP between hosts, IPC between nodes that share a media driver (one per
 * host, {@link MediaDriverMain}), chosen per peer from its endpoint. {@link #kind()} is
 * {@code aeron-udp}, or {@code aeron-ipc} for an IPC-only transport ({@code aeron.mode = ipc}).
 * Thread-safe.
 */
public final class AeronTransport extends EngineTransport {
  private static final Logger log = LoggerFactory.getLogger(AeronTransport.class);

  private final Aeron aeron;
  private final MediaDriver driver;

  private AeronTransport(AeronWire wire, Aeron aeron, MediaDriver driver, ChunkService service, Materializer materializer,
      TransportSettings settings, ClusterSecret secret) {
    super(wire, service, materializer, settings.engine(), secret);
    this.aeron = aeron;
    this.driver = driver;
  }

  /**
   * Connects to the media driver at {@code aeron.dir} (starting one in this JVM when configured or
   * when none runs there), subscribes on this node's endpoint and starts the transport thread. Aeron
   * itself authenticates nobody: the requests that start transfers are signed with {@code secret}.
   */
  public static AeronTransport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    TransportSettings.Aeron a = settings.aeron();
    MediaDriver driver = AeronDrivers.embedIfNeeded(a);
    Aeron aeron = null;
    try {
      aeron = Aeron.connect(new Aeron.Context()
          .aeronDirectoryName(a.dir())
          .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(a.driverTimeoutNs()))
          .clientName("tensorfs-transport")
          .errorHandler(e -> log.warn("aeron client: {}", e.toString())));
      AeronWire wire = new AeronWire(aeron, a, settings.bindHost(), settings.advertiseHost(), settings.port(),
          settings.engine().connectTimeoutNs());
      return new AeronTransport(wire, aeron, driver, service, materializer, settings, secret);
    } catch (RuntimeException e) {
      if (aeron != null) aeron.close();
      if (driver != null) driver.close();
      throw e;
    }
  }

  @Override
  void closeResources() {
    aeron.close();
    if (driver != null) driver.close();
  }
}
