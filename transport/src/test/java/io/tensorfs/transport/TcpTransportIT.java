package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;

class TcpTransportIT extends TransportContract {
  @Override
  void startPair() {
    server = TcpTransport.start(settings(), materializer, served, SECRET);
    client = TcpTransport.start(settings(), materializer, clientService, SECRET);
  }

  private static TransportSettings settings() {
    return TransportSettings.from(base("tensorfs.transport { kind = tcp, tcp.streams = 4 }"));
  }

  @Override
  void startIntruder(ClusterSecret secret) {
    intruder = TcpTransport.start(settings(), materializer, new FakeChunkService(1024), secret);
  }

  @Override
  void cleanUp() {}

  @Override
  String expectedKind() {
    return "tcp";
  }
}
