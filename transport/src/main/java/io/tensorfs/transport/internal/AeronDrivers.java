package io.tensorfs.transport.internal;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.tensorfs.transport.TransportSettings;
import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starting and finding Aeron media drivers. Stateless. */
public final class AeronDrivers {
  private static final Logger log = LoggerFactory.getLogger(AeronDrivers.class);

  private AeronDrivers() {}

  /** A driver context sized for bulk transfer: large MTU, socket buffers, receiver window and terms. */
  public static MediaDriver.Context context(TransportSettings.Aeron a) {
    return new MediaDriver.Context()
        .aeronDirectoryName(a.dir())
        .threadingMode(ThreadingMode.valueOf(a.driverThreading().toUpperCase(Locale.ROOT)))
        .dirDeleteOnStart(true)
        .dirDeleteOnShutdown(true)
        .warnIfDirectoryExists(false)
        .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(a.driverTimeoutNs()))
        .socketRcvbufLength(a.socketBufferBytes())
        .socketSndbufLength(a.socketBufferBytes())
        .initialWindowLength(a.socketBufferBytes())
        .mtuLength(a.mtuBytes())
        .ipcMtuLength(a.mtuBytes())
        .publicationTermBufferLength(a.termLengthBytes())
        .ipcTermBufferLength(a.ipcTermLengthBytes())
        .errorHandler(e -> log.warn("aeron media driver: {}", e.toString()));
  }

  /** Whether a driver is alive at {@code dir}. */
  public static boolean running(String dir, long timeoutNs) {
    return CommonContext.isDriverActive(new File(dir), TimeUnit.NANOSECONDS.toMillis(timeoutNs), msg -> log.debug("{}", msg));
  }

  /**
   * The driver this node should start itself: one when configured, or when none runs at the
   * directory; null when a running one is used.
   */
  public static MediaDriver embedIfNeeded(TransportSettings.Aeron a) {
    if (!a.embeddedDriver()) {
      if (running(a.dir(), a.driverTimeoutNs())) {
        log.info("Aeron: using the media driver at {}", a.dir());
        return null;
      }
      log.info("Aeron: no media driver at {}; starting one in this JVM", a.dir());
    } else if (running(a.dir(), a.driverTimeoutNs())) {
      throw new IllegalStateException("an Aeron media driver already runs at " + a.dir() + ": set embedded-driver = off to share it");
    }
    return MediaDriver.launch(context(a));
  }

  /**
   * An identity of the driver a client is connected to: its process id and start time, read from
   * its CnC file. Two clients that share a driver share this identity, and only they can use IPC.
   */
  public static String driverId(Aeron aeron) {
    File cnc = aeron.context().cncFile();
    MappedByteBuffer mapped = IoUtil.mapExistingFile(cnc, "cnc");
    try {
      UnsafeBuffer meta = CncFileDescriptor.createMetaDataBuffer(mapped);
      return Long.toHexString(CncFileDescriptor.pid(meta)) + "-" + Long.toHexString(CncFileDescriptor.startTimestampMs(meta));
    } finally {
      IoUtil.unmap(mapped);
    }
  }
}
