package io.tensorfs.transport;

import com.typesafe.config.Config;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.rdma.RdmaChoice;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the transport a node's configuration asks for. */
public final class Transports {
  private static final Logger log = LoggerFactory.getLogger(Transports.class);

  private Transports() {}

  /**
   * Chooses the wire ({@link RdmaChoice}: {@code kind = rdma} or {@code auto} probe for RDMA devices, the
   * others probe when {@code rdma.probe} is on) and logs one line about it, then starts that transport:
   * {@link AeronTransport} for {@code aeron}, {@link TcpTransport} for {@code tcp}, {@link RdmaTransport}
   * for {@code rdma}. Peers must hold {@code secret}. The caller closes it when the node stops.
   *
   * @throws IllegalStateException for {@code kind = rdma} on a host without a usable device
   */
  public static Transport create(Config config, ActorSystem<?> system, ChunkService service, ClusterSecret secret) {
    return create(config, system, service, secret, MemoryRegions.NONE);
  }

  /**
   * As {@link #create(Config, ActorSystem, ChunkService, ClusterSecret)}, handing the transport the
   * node's page pool ({@code registrable}): the RDMA wire registers it at start and sends frames from its
   * pages without a copy, the TCP wire writes payloads to its sockets from those pages; Aeron ignores it.
   */
  public static Transport create(Config config, ActorSystem<?> system, ChunkService service, ClusterSecret secret, MemoryRegions registrable) {
    TransportSettings settings = TransportSettings.from(config);
    Materializer materializer = Materializer.matFromSystem(system);
    boolean wantsRdma = settings.kind().equals("rdma") || settings.kind().equals("auto");
    if (!wantsRdma && !settings.rdmaProbe()) return start(settings, materializer, service, secret, registrable);
    RdmaDevices.Probe probe = RdmaDevices.probe();
    RdmaChoice choice = RdmaChoice.decide(named(settings, settings.kind()), named(settings, settings.rdma().fallback()), probe.found(),
        probe.found() ? probe.devices() + " (" + probe.reason() + ")" : probe.reason());
    log.info(choice.reason());
    String kind = choice.kind().startsWith("aeron") ? "aeron" : choice.kind();
    return start(settings.withKind(kind), materializer, service, secret, registrable);
  }

  /**
   * Starts the transport {@code settings} name, without the RDMA probe: {@code auto} starts the RDMA
   * fallback, {@code rdma} fails when the device cannot be opened.
   */
  public static Transport start(TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret) {
    return start(settings, materializer, service, secret, MemoryRegions.NONE);
  }

  /**
   * As {@link #start(TransportSettings, Materializer, ChunkService, ClusterSecret)}; the RDMA wire registers
   * {@code registrable}, the TCP wire sends payloads from it in place.
   */
  public static Transport start(
      TransportSettings settings, Materializer materializer, ChunkService service, ClusterSecret secret, MemoryRegions registrable) {
    String kind = settings.kind().equals("auto") ? settings.rdma().fallback() : settings.kind();
    return switch (kind) {
      case "tcp" -> TcpTransport.start(settings, materializer, service, secret, registrable);
      case "rdma" -> RdmaTransport.start(settings, materializer, service, secret, registrable);
      default -> AeronTransport.start(settings, materializer, service, secret);
    };
  }

  /** How a kind is named in logs: aeron with its mode. */
  private static String named(TransportSettings settings, String kind) {
    return kind.equals("aeron") ? "aeron-" + settings.aeron().mode() : kind;
  }
}
