package io.tensorfs.transport;

import com.typesafe.config.ConfigFactory;
import io.aeron.driver.MediaDriver;
import io.tensorfs.transport.internal.AeronDrivers;
import java.util.concurrent.CountDownLatch;

/**
 * The shared Aeron media driver of a host, as its own process: nodes of the host that use it reach
 * each other over IPC. Reads {@code tensorfs.transport.aeron} (dir, sizes, driver-threading) from the
 * configuration (system properties override, e.g. {@code -Dtensorfs.transport.aeron.dir=...}) and
 * runs until the process is stopped; the directory is removed on a clean stop.
 */
public final class MediaDriverMain {
  private MediaDriverMain() {}

  public static void main(String[] args) throws InterruptedException {
    TransportSettings settings;
    MediaDriver driver;
    try {
      settings = TransportSettings.from(ConfigFactory.load());
      if (AeronDrivers.running(settings.aeron().dir(), settings.aeron().driverTimeoutNs())) {
        System.err.println("an Aeron media driver already runs at " + settings.aeron().dir());
        System.exit(2);
        return;
      }
      driver = MediaDriver.launch(AeronDrivers.context(settings.aeron()));
    } catch (RuntimeException e) {
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      driver.close();
      stopped.countDown();
    }, "media-driver-stop"));
    System.out.println("Aeron media driver running at " + settings.aeron().dir());
    stopped.await();
  }
}
