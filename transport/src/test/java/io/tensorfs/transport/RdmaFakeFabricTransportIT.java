package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.rdma.FakeFabric;

/**
 * The transport contract over the RDMA wire with its verbs behind an in-memory fabric: the handshake over
 * real TCP, the rings, credit and the engine as they run on a device; only the queue pairs are fakes
 * (no RDMA device here). Checks after each test that no SEND ever found its peer without a posted receive.
 */
class RdmaFakeFabricTransportIT extends TransportContract {
  final FakeFabric fabric = new FakeFabric();

  @Override
  void startPair() throws Exception {
    server = start(served, SECRET);
    client = start(clientService, SECRET);
  }

  private RdmaTransport start(ChunkService service, ClusterSecret secret) throws Exception {
    TransportSettings settings = TransportSettings.from(base("tensorfs.transport { kind = rdma, rdma { ring-slots = 8, frame-bytes = 256 KiB } }"));
    return new RdmaTransport(fabric.wire(settings.rdma(), "127.0.0.1", settings.engine().connectTimeoutNs(), secret.key()), service,
        materializer, settings, secret);
  }

  @Override
  void startIntruder(ClusterSecret secret) throws Exception {
    intruder = start(new FakeChunkService(1024), secret);
  }

  @Override
  void cleanUp() {
    org.junit.jupiter.api.Assertions.assertEquals(0, fabric.receiverNotReady(), "a SEND found no posted receive");
    org.junit.jupiter.api.Assertions.assertEquals(0, fabric.tooLong(), "a SEND was longer than its receive");
  }

  @Override
  String expectedKind() {
    return "rdma";
  }
}
