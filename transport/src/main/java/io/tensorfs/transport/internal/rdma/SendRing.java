package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/**
 * The sending half of an RDMA connection: registered memory cut into {@code slots} slots of {@code
 * slotBytes}; each frame is copied into the next slot and posted as one signalled SEND. Flow control is
 * by credit: the peer posted {@code peerSlots} receives before it answered the handshake, each SEND uses
 * one, and the peer hands them back in data-less SEND_WITH_IMM messages whose immediate data is how many
 * it re-posted (zero-length receives are kept posted here for them). A frame is refused ({@code false},
 * offer again later) while no credit or no free slot is left, so the peer never sees a SEND it has no
 * receive for. Send completions arrive in order on a reliable connection, so slots are reused as a ring.
 * Owned by the engine's agent thread.
 */
final class SendRing extends SlotRing {
  private int next;
  private int inFlight;
  private int credits;

  /**
   * Posts {@code creditReceives} receives for credit messages; the peer must not have more credit
   * messages in flight than that (it sends one per {@code peerSlots / creditReceives} frames or more).
   */
  SendRing(QueuePair qp, ByteBuffer memory, int lkey, int slots, int slotBytes, int peerSlots, int creditReceives) {
    super(qp, memory, lkey, slots, slotBytes);
    this.credits = peerSlots;
    for (int i = 0; i < creditReceives; i++) qp.postReceive(CREDIT_WR, 0, 0, lkey);
  }

  /** Copies the frame into the next slot and posts it; false when it must wait for a credit or a slot. */
  boolean offer(DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
    if (failure != null || credits == 0 || inFlight == slots) return false;
    int length = headerLength + payloadLength;
    if (length > slotBytes) throw new IllegalArgumentException("a frame of " + length + " bytes exceeds the slot of " + slotBytes);
    int at = offset(next);
    memory.putBytes(at, header, 0, headerLength);
    if (payloadLength > 0) memory.putBytes(at + headerLength, payload, payloadOffset, payloadLength);
    qp.postSend(next, address(next), length, lkey, -1);
    next = next + 1 == slots ? 0 : next + 1;
    inFlight++;
    credits--;
    return true;
  }

  /** Takes what completed: freed slots, returned credits. */
  int poll() {
    return failure == null ? qp.poll(this) : 0;
  }

  int credits() {
    return credits;
  }

  @Override
  public void sent(long wrId) {
    inFlight--;
  }

  @Override
  public void received(long wrId, int bytes, int immediate) {
    if (wrId != CREDIT_WR || immediate < 0) {
      failure = "unexpected message on a sending connection";
      return;
    }
    credits += immediate;
    qp.postReceive(CREDIT_WR, 0, 0, lkey);
  }

}
