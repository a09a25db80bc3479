package io.tensorfs.transport;

import io.tensorfs.transport.internal.TcpWire;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.stream.Materializer;

/**
 * The TCP fallback: each transfer striped over {@code tensorfs.transport.tcp.streams} connections and
 * put back in offset order by the receiver. Endpoint: {@code tcp://host:port}. Thread-safe.
 */
public final class TcpTransport extends EngineTransport {
  private TcpTransport(TcpWire wire, ChunkService service, Materializer materializer, TransportSettings settings) {
    super(wire, service, materializer, settings.engine());
  }

  /** Listens on the configured host and port and starts the transport thread. */
  public static TcpTransport start(TransportSettings settings, Materializer materializer, ChunkService service) {
    TransportSettings.Tcp tcp = settings.tcp();
    try {
      TcpWire wire = new TcpWire(settings.bindHost(), settings.port(), settings.advertiseHost(), tcp.streams(), tcp.frameBytes(),
          tcp.socketBufferBytes(), settings.engine().connectTimeoutNs());
      return new TcpTransport(wire, service, materializer, settings);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.bindHost() + ":" + settings.port(), e);
    }
  }

  @Override
  void closeResources() {
    // the wire owns every socket and is closed by the engine
  }
}
