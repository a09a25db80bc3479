package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.internal.Link;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.agrona.DirectBuffer;

/**
 * The sending half of an RDMA connection: registered memory cut into {@code slots} slots of {@code
 * slotBytes}; each frame is posted as one signalled SEND from the next slot. The frame's header is always
 * copied into the slot; its payload is sent from where it lies, as the SEND's second scatter/gather entry,
 * when it lies wholly in {@link RegisteredRegions} (the node's page pool), and copied into the slot after
 * the header otherwise (heap bytes, unregistered direct buffers). The run a frame ends is held until that
 * SEND's completion: completions arrive in the order of the posts on a reliable connection, so by then
 * every earlier SEND from the run's pages has completed too. Flow control is by credit: the peer posted
 * {@code peerSlots} receives before it answered the handshake, each SEND uses one, and the peer hands them
 * back in data-less SEND_WITH_IMM messages whose immediate data is how many it re-posted (zero-length
 * receives are kept posted here for them). A frame is refused ({@code false}, offer again later) while no
 * credit or no free slot is left, so the peer never sees a SEND it has no receive for. Slots are reused as
 * a ring. Owned by the engine's agent thread.
 */
final class SendRing extends SlotRing {
  private final RegisteredRegions regions;
  /** The run each slot's SEND ends, released at its completion; null for none. */
  private final PageRun[] held;
  /** Actions waiting for every SEND posted before them to complete, in post order. */
  private final ArrayDeque<Gate> gates = new ArrayDeque<>();
  private int next;
  private int inFlight;
  private int credits;
  private long posted;
  private long completed;
  private long copiedPayloadBytes;
  private long framesFromPages;

  /** An action to run once {@code completed} reaches {@code after}. */
  private record Gate(long after, Runnable action) {}

  /**
   * Posts {@code creditReceives} receives for credit messages; the peer must not have more credit
   * messages in flight than that (it sends one per {@code peerSlots / creditReceives} frames or more).
   */
  SendRing(QueuePair qp, ByteBuffer memory, int lkey, int slots, int slotBytes, int peerSlots, int creditReceives, RegisteredRegions regions) {
    super(qp, memory, lkey, slots, slotBytes);
    this.regions = regions;
    this.held = new PageRun[slots];
    this.credits = peerSlots;
    for (int i = 0; i < creditReceives; i++) qp.postReceive(CREDIT_WR, 0, 0, lkey);
  }

  /**
   * Posts the frame from the next slot (its payload from registered memory where it lies, else copied
   * after the header) and takes over {@code releaseWhenSent} until the SEND completes; false when it must
   * wait for a credit or a slot (nothing taken).
   */
  boolean offer(DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength, PageRun releaseWhenSent) {
    if (failure != null || credits == 0 || inFlight == slots) return false;
    int length = headerLength + payloadLength;
    if (length > slotBytes) throw new IllegalArgumentException("a frame of " + length + " bytes exceeds the slot of " + slotBytes);
    int at = offset(next);
    memory.putBytes(at, header, 0, headerLength);
    long payloadAddress = payload.addressOffset() + payloadOffset;
    int region = payloadLength > 0 && payload.byteArray() == null ? regions.find(payloadAddress, payloadLength) : -1;
    if (region >= 0) {
      qp.postSend(next, address(next), headerLength, lkey, payloadAddress, payloadLength, regions.lkey(region));
      framesFromPages++;
    } else {
      if (payloadLength > 0) memory.putBytes(at + headerLength, payload, payloadOffset, payloadLength);
      qp.postSend(next, address(next), length, lkey, -1);
      copiedPayloadBytes += payloadLength;
    }
    held[next] = releaseWhenSent;
    next = next + 1 == slots ? 0 : next + 1;
    inFlight++;
    posted++;
    credits--;
    return true;
  }

  /** Takes what completed: freed slots (and the runs they held), returned credits. */
  int poll() {
    return failure == null ? qp.poll(this) : 0;
  }

  int credits() {
    return credits;
  }

  /** Payload bytes copied into slots so far (payloads outside registered memory). */
  long copiedPayloadBytes() {
    return copiedPayloadBytes;
  }

  /** Frames sent so far with their payload read from registered memory. */
  long framesFromPages() {
    return framesFromPages;
  }

  /** Runs {@code action} once every SEND posted so far has completed: now when none is in flight. */
  void afterSent(Runnable action) {
    if (inFlight == 0) action.run();
    else gates.add(new Gate(posted, action));
  }

  /**
   * After the queue pair is destroyed (the device reads none of this ring's memory any more): releases
   * every run still held and runs every waiting action.
   */
  void releaseAll() {
    for (int i = 0; i < slots; i++) releaseSlot(i);
    for (Gate g; (g = gates.poll()) != null; ) g.action().run();
  }

  @Override
  public void sent(long wrId) {
    releaseSlot((int) wrId);
    inFlight--;
    completed++;
    while (!gates.isEmpty() && gates.peek().after() <= completed) gates.poll().action().run();
  }

  private void releaseSlot(int slot) {
    PageRun run = held[slot];
    held[slot] = null;
    if (run != null) Link.release(run);
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
