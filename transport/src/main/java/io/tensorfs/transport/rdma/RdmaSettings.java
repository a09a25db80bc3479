package io.tensorfs.transport.rdma;

import com.typesafe.config.Config;

/**
 * The {@code tensorfs.transport.rdma} configuration, read once and validated. Sizes are bytes.
 *
 * @param probe look for devices at start and log what was found, whatever the transport kind
 * @param fallback {@code aeron} or {@code tcp}: the transport of {@code kind = auto} on a host without a device
 * @param device the device to open (e.g. {@code mlx5_0}); empty: the first one listed
 * @param port the device's port number (from 1)
 * @param gidIndex the GID table index that addresses this port (RoCE)
 * @param ringSlots receives posted per connection (and sends in flight at most)
 * @param frameBytes one ring slot: the largest frame, header included
 * @param memlockReserveRings rings (one per connection, each {@link #ringBytes()}) the memlock limit is
 *     kept for when the page pool is registered at start: pool regions are registered only while the limit
 *     still leaves this much, so connections can always register their rings (the rest of the pool is copied from)
 */
public record RdmaSettings(
    boolean probe, String fallback, String device, int port, int gidIndex, int ringSlots, int frameBytes, int memlockReserveRings) {
  /** A control frame (up to 128 KiB) must fit one slot. */
  public static final int MIN_FRAME_BYTES = 128 * 1024 + 64;

  public RdmaSettings {
    if (!fallback.equals("aeron") && !fallback.equals("tcp")) {
      throw new IllegalArgumentException("tensorfs.transport.rdma.fallback must be aeron or tcp: " + fallback);
    }
    if (port < 1 || port > 255) throw new IllegalArgumentException("tensorfs.transport.rdma.port must be in 1..255");
    if (gidIndex < 0 || gidIndex > 255) throw new IllegalArgumentException("tensorfs.transport.rdma.gid-index must be in 0..255");
    if (ringSlots < 2 || ringSlots > 1024) throw new IllegalArgumentException("tensorfs.transport.rdma.ring-slots must be in 2..1024");
    if (frameBytes < MIN_FRAME_BYTES || frameBytes > 16 * 1024 * 1024) {
      throw new IllegalArgumentException("tensorfs.transport.rdma.frame-bytes must be in " + MIN_FRAME_BYTES + "..16 MiB");
    }
    if (memlockReserveRings < 0 || memlockReserveRings > 65536) {
      throw new IllegalArgumentException("tensorfs.transport.rdma.memlock-reserve-rings must be in 0..65536");
    }
  }

  /** The memory one connection's ring registers on this side: {@code ringSlots x frameBytes}. */
  public long ringBytes() {
    return (long) ringSlots * frameBytes;
  }

  /** The memlock kept for rings when the page pool is registered: {@code memlockReserveRings x ringBytes()}. */
  public long memlockReserveBytes() {
    return memlockReserveRings * ringBytes();
  }

  /** Reads {@code tensorfs.transport.rdma} from the transport's section. */
  public static RdmaSettings from(Config transport) {
    Config r = transport.getConfig("rdma");
    return new RdmaSettings(r.getBoolean("probe"), r.getString("fallback"), r.getString("device"), r.getInt("port"),
        r.getInt("gid-index"), r.getInt("ring-slots"), Math.toIntExact(r.getBytes("frame-bytes")), r.getInt("memlock-reserve-rings"));
  }

  /** Slots a receiver with {@code ringSlots} slots hands back to its sender per credit message (both sides use this rule). */
  public static int creditBatch(int ringSlots) {
    return Math.max(1, ringSlots / 4);
  }
}
