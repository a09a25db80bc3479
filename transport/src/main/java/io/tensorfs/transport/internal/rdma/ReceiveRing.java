package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.internal.FrameHandler;
import java.nio.ByteBuffer;

/**
 * The receiving half of an RDMA connection: registered memory cut into {@code slots} slots of {@code
 * slotBytes}, every one posted as a receive before the handshake is answered. A completed receive is one
 * whole frame: it is handed to the engine's {@link FrameHandler} in place (valid during the call only),
 * then its slot is posted again at once. Every {@code creditBatch} slots posted again are handed back to
 * the sender as credit in one data-less SEND_WITH_IMM. Owned by the engine's agent thread.
 */
final class ReceiveRing extends SlotRing {
  private final int creditBatch;
  private final int maxCreditMessages;
  private int unreturned;
  private int creditMessagesInFlight;
  private FrameHandler handler;

  /**
   * @param creditBatch re-posted slots per credit message
   * @param maxCreditMessages credit messages in flight at most (this queue pair's send depth)
   */
  ReceiveRing(QueuePair qp, ByteBuffer memory, int lkey, int slots, int slotBytes, int creditBatch, int maxCreditMessages) {
    super(qp, memory, lkey, slots, slotBytes);
    this.creditBatch = creditBatch;
    this.maxCreditMessages = maxCreditMessages;
    for (int i = 0; i < slots; i++) qp.postReceive(i, address(i), slotBytes, lkey);
  }

  /** The credit messages a sender must keep receives posted for: one per batch of the ring, and one spare. */
  static int creditMessages(int slots, int creditBatch) {
    return slots / creditBatch + 1;
  }

  /** Hands every frame that arrived to {@code to}; returns the work done. */
  int poll(FrameHandler to) {
    if (failure != null) return 0;
    this.handler = to;
    int work = qp.poll(this);
    if (unreturned >= creditBatch && creditMessagesInFlight < maxCreditMessages && failure == null) returnCredit();
    return work;
  }

  @Override
  public void received(long wrId, int bytes, int immediate) {
    int slot = (int) wrId;
    if (slot < 0 || slot >= slots) {
      failure = "a receive completed for no slot: " + wrId;
      return;
    }
    handler.onFrame(memory, offset(slot), bytes);
    qp.postReceive(slot, address(slot), slotBytes, lkey);
    unreturned++;
    if (unreturned >= creditBatch && creditMessagesInFlight < maxCreditMessages) returnCredit();
  }

  private void returnCredit() {
    qp.postSend(CREDIT_WR, 0, 0, lkey, unreturned);
    creditMessagesInFlight++;
    unreturned = 0;
  }

  @Override
  public void sent(long wrId) {
    creditMessagesInFlight--;
  }

}
