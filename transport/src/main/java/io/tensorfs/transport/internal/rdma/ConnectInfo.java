package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What one side of a connection tells the other in the handshake so both can move their queue pairs to
 * ready-to-receive: its queue pair number, the packet sequence number it starts sending with, its port's
 * LID and GID, and its receive ring (slots of {@code slotBytes} each, all posted before it answers).
 * Immutable. Encoded big-endian in {@link #BYTES} bytes.
 */
record ConnectInfo(int qpNumber, int psn, short lid, byte[] gid, int slots, int slotBytes) {
  static final int BYTES = 4 + 4 + 2 + VerbsLayout.GID_BYTES + 4 + 4;

  ConnectInfo {
    if (gid.length != VerbsLayout.GID_BYTES) throw new IllegalArgumentException("a GID is 16 bytes, not " + gid.length);
    if ((psn & ~0xFFFFFF) != 0) throw new IllegalArgumentException("a PSN has 24 bits: " + psn);
    gid = gid.clone();
  }

  @Override
  public byte[] gid() {
    return gid.clone();
  }

  void writeTo(ByteBuffer out) {
    out.putInt(qpNumber).putInt(psn).putShort(lid).put(gid).putInt(slots).putInt(slotBytes);
  }

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(BYTES);
    writeTo(b);
    return b.array();
  }

  /** Reads one from {@code bytes}; throws IllegalArgumentException when they are not one. */
  static ConnectInfo decode(byte[] bytes) {
    if (bytes.length != BYTES) throw new IllegalArgumentException("connect info is " + BYTES + " bytes, not " + bytes.length);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    int qpn = in.getInt();
    int psn = in.getInt();
    short lid = in.getShort();
    byte[] gid = new byte[VerbsLayout.GID_BYTES];
    in.get(gid);
    int slots = in.getInt();
    int slotBytes = in.getInt();
    if (slots < 1 || slotBytes < 1) throw new IllegalArgumentException("connect info names an empty ring");
    return new ConnectInfo(qpn, psn, lid, gid, slots, slotBytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConnectInfo c && c.qpNumber == qpNumber && c.psn == psn && c.lid == lid && Arrays.equals(c.gid, gid)
        && c.slots == slots && c.slotBytes == slotBytes;
  }

  @Override
  public int hashCode() {
    return 31 * qpNumber + psn;
  }

  @Override
  public String toString() {
    return "qp " + qpNumber + " psn " + psn + " lid " + (lid & 0xFFFF) + " ring " + slots + "x" + slotBytes;
  }
}
