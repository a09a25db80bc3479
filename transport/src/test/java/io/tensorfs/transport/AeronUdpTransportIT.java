package io.tensorfs.transport;

import io.tensorfs.core.security.ClusterSecret;
import java.io.File;
import java.util.UUID;

/** Two UDP transports over 127.0.0.1, each with its own embedded media driver, as on two hosts. */
class AeronUdpTransportIT extends TransportContract {
  private String serverDir;
  private String clientDir;

  @Override
  void startPair() {
    serverDir = dir("server");
    clientDir = dir("client");
    server = AeronTransport.start(settings(serverDir, serverLanes()), materializer, served, SECRET);
    client = AeronTransport.start(settings(clientDir, clientLanes()), materializer, clientService, SECRET);
  }

  /** Lanes of the serving side and of the fetching one (and the intruder); one here. */
  int serverLanes() {
    return 1;
  }

  int clientLanes() {
    return 1;
  }

  private String intruderDir;

  @Override
  void startIntruder(ClusterSecret secret) {
    intruderDir = dir("intruder");
    intruder = AeronTransport.start(settings(intruderDir, clientLanes()), materializer, new FakeChunkService(1024), secret);
  }

  static String dir(String role) {
    return new File(System.getProperty("java.io.tmpdir"), "tensorfs-udp-test-" + role + "-" + UUID.randomUUID()).getPath();
  }

  static TransportSettings settings(String dir, int lanes) {
    return TransportSettings.from(base("tensorfs.transport { kind = aeron, bind-host = \"127.0.0.1\", aeron { dir = \"" + dir
        + "\", mode = udp, embedded-driver = on, term-length-bytes = 16 MiB, ipc-term-length-bytes = 16 MiB, lanes = " + lanes + " } }"));
  }

  @Override
  void cleanUp() {
    AeronTestDirs.assertRemoved(serverDir);
    AeronTestDirs.assertRemoved(clientDir);
    if (intruderDir != null) AeronTestDirs.assertRemoved(intruderDir);
  }

  @Override
  String expectedKind() {
    return "aeron-udp";
  }
}
