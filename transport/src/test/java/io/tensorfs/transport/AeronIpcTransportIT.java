package io.tensorfs.transport;

import io.aeron.driver.MediaDriver;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.transport.internal.AeronDrivers;
import java.io.File;
import java.util.UUID;

/** Two IPC-only transports sharing one media driver, started beside them as a host's shared driver would be. */
class AeronIpcTransportIT extends TransportContract {
  private MediaDriver driver;
  private String dir;

  @Override
  void startPair() {
    dir = new File(System.getProperty("java.io.tmpdir"), "tensorfs-ipc-test-" + UUID.randomUUID()).getPath();
    TransportSettings settings = TransportSettings.from(base("tensorfs.transport { kind = aeron, aeron { dir = \"" + dir
        + "\", mode = ipc, embedded-driver = off, term-length-bytes = 16 MiB, ipc-term-length-bytes = 16 MiB } }"));
    driver = MediaDriver.launch(AeronDrivers.context(settings.aeron()));
    this.settings = settings;
    server = AeronTransport.start(settings, materializer, served, SECRET);
    client = AeronTransport.start(settings, materializer, clientService, SECRET);
  }

  private TransportSettings settings;

  @Override
  void startIntruder(ClusterSecret secret) {
    intruder = AeronTransport.start(settings, materializer, new FakeChunkService(1024), secret);
  }

  @Override
  void cleanUp() {
    if (driver != null) driver.close();
    AeronTestDirs.assertRemoved(dir);
  }

  @Override
  String expectedKind() {
    return "aeron-ipc";
  }
}
