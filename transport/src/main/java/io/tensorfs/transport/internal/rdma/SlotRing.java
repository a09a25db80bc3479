package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What the two halves of an RDMA connection share: one queue pair, registered memory cut into {@code
 * slots} slots of {@code slotBytes} (slot {@code i} at byte {@code i * slotBytes}), the work request id of
 * credit messages, and the first failure a completion reported (after which the ring does no more work).
 * Owned by the engine's agent thread.
 */
abstract class SlotRing implements WorkCompletions, AutoCloseable {
  /** The work request id of credit messages (their completions free no slot). */
  static final long CREDIT_WR = -1;

  final QueuePair qp;
  final UnsafeBuffer memory;
  final int lkey;
  final int slots;
  final int slotBytes;
  /** Null while usable, else why not. */
  String failure;

  SlotRing(QueuePair qp, ByteBuffer memory, int lkey, int slots, int slotBytes) {
    if (memory.capacity() < (long) slots * slotBytes) throw new IllegalArgumentException("ring memory too small");
    this.qp = qp;
    this.memory = new UnsafeBuffer(memory);
    this.lkey = lkey;
    this.slots = slots;
    this.slotBytes = slotBytes;
  }

  /** Byte offset of slot {@code slot} in the ring's memory. */
  final int offset(int slot) {
    return slot * slotBytes;
  }

  /** Address of slot {@code slot}, as a work request names it. */
  final long address(int slot) {
    return memory.addressOffset() + (long) slot * slotBytes;
  }

  /** Null while usable, else why not. */
  final String failure() {
    return failure;
  }

  @Override
  public final void failed(long wrId, String why) {
    if (failure == null) failure = "RDMA connection failed: " + why;
  }

  @Override
  public final void close() {
    qp.close();
  }
}
