package io.tensorfs.transport;

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
    server = AeronTransport.start(settings(serverDir), materializer, served);
    client = AeronTransport.start(settings(clientDir), materializer, clientService);
  }

  private static String dir(String role) {
    return new File(System.getProperty("java.io.tmpdir"), "tensorfs-udp-test-" + role + "-" + UUID.randomUUID()).getPath();
  }

  private static TransportSettings settings(String dir) {
    return TransportSettings.from(base("tensorfs.transport { kind = aeron, bind-host = \"127.0.0.1\", aeron { dir = \"" + dir
        + "\", mode = udp, embedded-driver = on, term-length-bytes = 16 MiB, ipc-term-length-bytes = 16 MiB } }"));
  }

  @Override
  void cleanUp() {
    AeronTestDirs.assertRemoved(serverDir);
    AeronTestDirs.assertRemoved(clientDir);
  }

  @Override
  String expectedKind() {
    return "aeron-udp";
  }
}
