package io.tensorfs.transport;

import com.typesafe.config.Config;
import io.tensorfs.core.security.ClusterSecret;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the transport a node's configuration asks for. */
public final class Transports {
  private static final Logger log = LoggerFactory.getLogger(Transports.class);

  private Transports() {}

  /**
   * Probes for RDMA devices (and logs one line about them), then starts the configured transport:
   * {@link AeronTransport} for {@code kind = aeron}, {@link TcpTransport} for {@code kind = tcp}.
   * Peers must hold {@code secret} (see {@link TcpTransport} and {@link AeronTransport}). The caller
   * closes it when the node stops.
   */
  public static Transport create(Config config, ActorSystem<?> system, ChunkService service, ClusterSecret secret) {
    TransportSettings settings = TransportSettings.from(config);
    Materializer materializer = Materializer.matFromSystem(system);
    String fallback = settings.kind().equals("tcp") ? "tcp" : "aeron-" + settings.aeron().mode();
    if (settings.rdmaProbe()) {
      RdmaDevices.Probe probe = RdmaDevices.probe();
      if (probe.found()) log.info("RDMA: devices {} ({}); data moves over {} until the RDMA transport exists", probe.devices(), probe.reason(), fallback);
      else log.info("RDMA: no device ({}); using {}", probe.reason(), fallback);
    }
    return start(settings, materializer, service, secret);
  }

  /** Starts the transport {@code settings} name, without the RDMA probe. */
  public static Transport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    return settings.kind().equals("tcp")
        ? TcpTransport.start(settings, materializer, service, secret)
        : AeronTransport.start(settings, materializer, service, secret);
  }
}
