package io.tensorfs.transport;

class TcpTransportIT extends TransportContract {
  @Override
  void startPair() {
    TransportSettings settings = TransportSettings.from(base("tensorfs.transport { kind = tcp, tcp.streams = 4 }"));
    server = TcpTransport.start(settings, materializer, served);
    client = TcpTransport.start(settings, materializer, clientService);
  }

  @Override
  void cleanUp() {}

  @Override
  String expectedKind() {
    return "tcp";
  }
}
