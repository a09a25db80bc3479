package io.tensorfs.transport;

import com.typesafe.config.Config;
import io.tensorfs.transport.internal.EngineSettings;
import io.tensorfs.transport.rdma.RdmaChoice;
import io.tensorfs.transport.rdma.RdmaSettings;
import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * The {@code tensorfs.transport} configuration, read once and validated. Sizes are bytes, times
 * nanoseconds.
 *
 * @param kind {@code aeron}, {@code tcp}, {@code rdma} (fails the start on a host without a device) or {@code auto}
 *     (rdma with a device, else {@code rdma.fallback}); see {@link RdmaChoice}
 * @param advertiseHost the host peers use to reach this node; empty in config means the bind host
 * @param rdmaProbe look for RDMA devices at start and log what was found ({@code rdma.probe})
 */
public record TransportSettings(
    String kind, String bindHost, String advertiseHost, int port, EngineSettings engine, Aeron aeron, Tcp tcp, boolean rdmaProbe,
    RdmaSettings rdma) {
  /** The most lanes a transport runs. */
  public static final int MAX_LANES = 16;

  /**
   * @param dir the media driver's directory; IPC works between the clients of one driver
   * @param embeddedDriver start a driver in this JVM; when false, one running at {@code dir} is
   *     used, and one is embedded anyway when none runs there
   * @param mode {@code udp} (UDP between hosts, IPC to peers on the same driver) or {@code ipc} (IPC only)
   * @param ipcToLocalPeers in udp mode, reach peers that share this driver over IPC
   * @param receiverWindowBytes what one sender may have in flight to this node's UDP endpoint ahead of what it
   *     took; every sender has its own, and all share the endpoint's one socket buffer ({@code socketBufferBytes})
   * @param lanes transport threads, each with its own UDP port and IPC stream ({@link AeronTransport})
   */
  public record Aeron(
      String dir, boolean embeddedDriver, String mode, boolean ipcToLocalPeers, int streamId, int mtuBytes, int socketBufferBytes,
      int receiverWindowBytes, int termLengthBytes, int ipcTermLengthBytes, int ipcFrameBytes, String driverThreading,
      long driverTimeoutNs, int lanes) {
    public Aeron {
      if (lanes < 1 || lanes > MAX_LANES) throw new IllegalArgumentException("tensorfs.transport.aeron.lanes must be auto or in 1..16");
      if (!mode.equals("udp") && !mode.equals("ipc")) throw new IllegalArgumentException("tensorfs.transport.aeron.mode must be udp or ipc: " + mode);
      if (mtuBytes % 32 != 0 || mtuBytes < 4096 || mtuBytes > 65504) {
        throw new IllegalArgumentException("tensorfs.transport.aeron.mtu-bytes must be a multiple of 32 in 4096..65504");
      }
      if (receiverWindowBytes < mtuBytes || receiverWindowBytes > socketBufferBytes) {
        throw new IllegalArgumentException("tensorfs.transport.aeron.receiver-window-bytes must be at least mtu-bytes ("
            + mtuBytes + ") and at most socket-buffer-bytes (" + socketBufferBytes + "), not " + receiverWindowBytes);
      }
      if (ipcFrameBytes > ipcTermLengthBytes / 8 - 1024) {
        throw new IllegalArgumentException("tensorfs.transport.aeron.ipc-frame-bytes must be below an eighth of ipc-term-length-bytes");
      }
    }
  }

  /** @param lanes transport threads, each with its own listening socket and connections ({@link TcpTransport}) */
  public record Tcp(int streams, int frameBytes, int socketBufferBytes, int lanes) {
    public Tcp {
      if (streams < 1 || streams > 64) throw new IllegalArgumentException("tensorfs.transport.tcp.streams must be in 1..64");
      if (lanes < 1 || lanes > MAX_LANES) throw new IllegalArgumentException("tensorfs.transport.tcp.lanes must be auto or in 1..16");
      if (frameBytes < 4096 || frameBytes > 16 * 1024 * 1024) {
        throw new IllegalArgumentException("tensorfs.transport.tcp.frame-bytes must be in 4 KiB..16 MiB");
      }
    }

    /** {@code lanes = auto}: one lane per 4 cores, at least 1 and at most 4. */
    public static int autoLanes(int cores) {
      return Math.max(1, Math.min(4, cores / 4));
    }
  }

  private static final java.util.Set<String> KINDS = java.util.Set.of("aeron", "tcp", "rdma", "auto");

  public TransportSettings {
    if (!KINDS.contains(kind)) throw new IllegalArgumentException("tensorfs.transport.kind must be aeron, tcp, rdma or auto: " + kind);
    if (port < 0 || port > 65535) throw new IllegalArgumentException("bad tensorfs.transport.port " + port);
  }

  /** Reads {@code tensorfs.transport} from a full configuration. */
  public static TransportSettings from(Config root) {
    Config c = root.getConfig("tensorfs.transport");
    String bindHost = c.getString("bind-host");
    String advertise = c.getString("advertise-host");
    EngineSettings engine = new EngineSettings(
        c.getBytes("window-bytes"), c.getBytes("outbox-bytes"), nanos(c, "idle-timeout"), nanos(c, "connect-timeout"),
        nanos(c, "idle-max-park"), nanos(c, "request-max-age"));
    Config a = c.getConfig("aeron");
    Aeron aeron = new Aeron(
        a.getString("dir").isEmpty() ? defaultAeronDir() : a.getString("dir"),
        a.getBoolean("embedded-driver"), a.getString("mode"), a.getBoolean("ipc-to-local-peers"), a.getInt("stream-id"),
        bytes(a, "mtu-bytes"), bytes(a, "socket-buffer-bytes"), bytes(a, "receiver-window-bytes"),
        bytes(a, "term-length-bytes"), bytes(a, "ipc-term-length-bytes"),
        bytes(a, "ipc-frame-bytes"), a.getString("driver-threading"), nanos(a, "driver-timeout"), lanes(a));
    Config t = c.getConfig("tcp");
    Tcp tcp = new Tcp(t.getInt("streams"), bytes(t, "frame-bytes"), bytes(t, "socket-buffer-bytes"), lanes(t));
    return new TransportSettings(c.getString("kind"), bindHost, advertise.isEmpty() ? bindHost : advertise, c.getInt("port"),
        engine, aeron, tcp, c.getBoolean("rdma.probe"), RdmaSettings.from(c));
  }

  /** These settings with {@code kind} in place of the configured kind (what {@link RdmaChoice} decided). */
  public TransportSettings withKind(String kind) {
    return new TransportSettings(kind, bindHost, advertiseHost, port, engine, aeron, tcp, rdmaProbe, rdma);
  }

  /** {@code /dev/shm/tensorfs-aeron-<user>} where /dev/shm exists, else under the temporary directory. */
  public static String defaultAeronDir() {
    String name = "tensorfs-aeron-" + System.getProperty("user.name", "default");
    File shm = new File("/dev/shm");
    return shm.isDirectory() ? new File(shm, name).getPath() : new File(System.getProperty("java.io.tmpdir"), name).getPath();
  }

  /** A {@code lanes} setting: {@code auto} ({@link Tcp#autoLanes} of this host's cores) or a number. */
  private static int lanes(Config c) {
    return c.getString("lanes").equals("auto") ? Tcp.autoLanes(Runtime.getRuntime().availableProcessors()) : c.getInt("lanes");
  }

  private static long nanos(Config c, String path) {
    return c.getDuration(path, TimeUnit.NANOSECONDS);
  }

  private static int bytes(Config c, String path) {
    return Math.toIntExact(c.getBytes(path));
  }
}
