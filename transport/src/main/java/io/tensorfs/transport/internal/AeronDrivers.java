package io.tensorfs.transport.internal;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.tensorfs.core.Sysctl;
import io.tensorfs.transport.TransportSettings;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
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
        .threadingMode(threading(a.driverThreading(), Runtime.getRuntime().availableProcessors()))
        .dirDeleteOnStart(true)
        .dirDeleteOnShutdown(true)
        .warnIfDirectoryExists(false)
        .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(a.driverTimeoutNs()))
        .socketRcvbufLength(a.socketBufferBytes())
        .socketSndbufLength(a.socketBufferBytes())
        .initialWindowLength(a.receiverWindowBytes())
        .mtuLength(a.mtuBytes())
        .ipcMtuLength(a.mtuBytes())
        .publicationTermBufferLength(a.termLengthBytes())
        .ipcTermBufferLength(a.ipcTermLengthBytes())
        .errorHandler(e -> log.warn("aeron media driver: {}", e.toString()));
  }

  /**
   * What to tell the operator when the kernel gives a UDP socket less buffer than {@code asked}
   * ({@code net.core.rmem_max} or {@code wmem_max} below it); empty when it gives it all, or the limits
   * cannot be read (not Linux).
   */
  public static Optional<String> socketBufferShortfall(int asked) {
    OptionalLong rmem = Sysctl.firstNumber("net/core/rmem_max");
    OptionalLong wmem = Sysctl.firstNumber("net/core/wmem_max");
    if (rmem.isEmpty() || wmem.isEmpty()) return Optional.empty();
    return socketBufferShortfall(asked, rmem.getAsLong(), wmem.getAsLong());
  }

  static Optional<String> socketBufferShortfall(int asked, long rmemMax, long wmemMax) {
    if (asked <= rmemMax && asked <= wmemMax) return Optional.empty();
    return Optional.of("Aeron UDP: tensorfs.transport.aeron.socket-buffer-bytes is " + asked + " but the kernel gives a"
        + " socket at most net.core.rmem_max = " + rmemMax + " bytes to receive and net.core.wmem_max = " + wmemMax
        + " to send: datagrams that arrive while the smaller buffer is full are dropped and sent again. Raise both"
        + " (sysctl -w net.core.rmem_max=" + asked + " net.core.wmem_max=" + asked + ") or lower the setting"
        + " (and receiver-window-bytes with it).");
  }

  /**
   * The driver's threading for {@code driver-threading}: {@code auto} is {@code shared_network} (the
   * conductor on a thread of its own, sender and receiver on another) on a host of 8 cores or more, where
   * it measured faster than one shared thread, and {@code shared} (one thread) on smaller hosts; otherwise
   * the mode named.
   */
  static ThreadingMode threading(String setting, int cores) {
    if (setting.equalsIgnoreCase("auto")) return cores >= 8 ? ThreadingMode.SHARED_NETWORK : ThreadingMode.SHARED;
    try {
      return ThreadingMode.valueOf(setting.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tensorfs.transport.aeron.driver-threading must be auto, shared, "
          + "shared_network or dedicated, not " + setting, e);
    }
  }

  /**
   * Whether a driver is alive at {@code dir}: its heartbeat is recent and, since a driver killed a
   * moment ago still has a recent heartbeat, its process still exists.
   */
  public static boolean running(String dir, long timeoutNs) {
    File directory = new File(dir);
    if (!CommonContext.isDriverActive(directory, TimeUnit.NANOSECONDS.toMillis(timeoutNs), msg -> log.debug("{}", msg))) {
      return false;
    }
    long pid = driverPid(new File(directory, CncFileDescriptor.CNC_FILE));
    if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return true;
    log.info("Aeron: the media driver at {} (pid {}) is gone; its directory is taken over", dir, pid);
    return false;
  }

  /** The process id a CnC file records, or -1 when it cannot be read. */
  private static long driverPid(File cnc) {
    try {
      MappedByteBuffer mapped = IoUtil.mapExistingFile(cnc, "cnc");
      try {
        return CncFileDescriptor.pid(CncFileDescriptor.createMetaDataBuffer(mapped));
      } finally {
        IoUtil.unmap(mapped);
      }
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * The driver this node should start itself: one when configured, or when none runs at the
   * directory; null when a running one is used.
   */
  public static synchronized MediaDriver embedIfNeeded(TransportSettings.Aeron a) {
    // Nodes of one host started together would each find no driver and each start one, the later
    // deleting the earlier's directory under its clients: the look and the start are one step per host.
    Path lock = Path.of(a.dir() + ".lock");
    try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      return embedIfNeededLocked(a);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + lock, e);
    }
  }

  private static MediaDriver embedIfNeededLocked(TransportSettings.Aeron a) {
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
