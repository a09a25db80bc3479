package io.tensorfs.transport.rdma;

/**
 * Which wire a node starts, from {@code tensorfs.transport.kind} and what the RDMA probe found, with the
 * one line the node logs about it. {@code rdma} on a host without a usable device fails the start (the
 * operator asked for RDMA; quietly running without it would hide a misconfigured host); {@code auto}
 * falls back to {@code tensorfs.transport.rdma.fallback}. Immutable.
 *
 * @param kind {@code rdma}, {@code aeron} or {@code tcp}
 * @param reason the line to log
 */
public record RdmaChoice(String kind, String reason) {
  /**
   * @param configured the configured kind: {@code rdma}, {@code auto}, {@code aeron} or {@code tcp}
   * @param fallback the kind {@code auto} uses without a device
   * @param devicesFound whether the probe found a device
   * @param probe what the probe found, in words
   * @throws IllegalStateException for {@code rdma} without a device; the message says what to change
   */
  public static RdmaChoice decide(String configured, String fallback, boolean devicesFound, String probe) {
    switch (configured) {
      case "rdma":
        if (!devicesFound) {
          throw new IllegalStateException("tensorfs.transport.kind = rdma, but this host has no usable RDMA device (" + probe
              + "): install the device and rdma-core, or set tensorfs.transport.kind = auto (falls back to " + fallback + "), aeron or tcp");
        }
        return new RdmaChoice("rdma", "RDMA: " + probe + "; data moves over rdma");
      case "auto":
        return devicesFound
            ? new RdmaChoice("rdma", "RDMA: " + probe + "; data moves over rdma (kind = auto)")
            : new RdmaChoice(fallback, "RDMA: no device (" + probe + "); data moves over " + fallback + " (kind = auto)");
      default:
        return new RdmaChoice(configured, devicesFound
            ? "RDMA: " + probe + "; data moves over " + configured + " as configured (kind = auto or rdma would use them)"
            : "RDMA: no device (" + probe + "); data moves over " + configured);
    }
  }
}
