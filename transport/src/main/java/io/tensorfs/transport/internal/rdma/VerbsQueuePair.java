package io.tensorfs.transport.internal.rdma;

import com.kenai.jffi.Function;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Type;
import java.nio.ByteBuffer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A reliable-connected queue pair and its completion queue over libibverbs. {@code ibv_post_send},
 * {@code ibv_post_recv} and {@code ibv_poll_cq} are static inline in verbs.h ({@code
 * qp->context->ops.post_send(...)}), so the function pointers are read once from the context's ops table
 * and called through jffi with work requests laid out in one direct buffer made at creation: nothing is
 * allocated per post or poll. Set up on any thread; posted and polled by the engine's agent thread only.
 */
final class VerbsQueuePair implements QueuePair {
  private static final int POLL_BATCH = 16;
  private static final Invoker INVOKER = Invoker.getInstance();

  private final VerbsLibrary verbs;
  private final VerbsNic nic;
  private final Pointer cq;
  private final Pointer qp;
  private final long qpAddress;
  private final long cqAddress;
  private final Function postSend;
  private final Function postRecv;
  private final Function pollCq;
  /** send WR | its SEND_SGES SGEs | recv WR | its SGE | bad-WR slot | POLL_BATCH work completions. */
  private final UnsafeBuffer work;
  /** Addresses of the send and receive work requests in {@link #work} (read by tests of their layout). */
  final long sendWr;
  final long recvWr;
  private final long badWr;
  private final long completions;
  private final int number;

  VerbsQueuePair(VerbsLibrary verbs, VerbsNic nic, Pointer cq, Pointer qp) {
    this.verbs = verbs;
    this.nic = nic;
    this.cq = cq;
    this.qp = qp;
    this.qpAddress = qp.address();
    this.cqAddress = cq.address();
    this.number = qp.getInt(VerbsLayout.QP_NUM);
    Pointer context = qp.getPointer(VerbsLayout.QP_CONTEXT);
    this.postSend = pointerPointerPointer(context.getLong(VerbsLayout.CONTEXT_OPS_POST_SEND));
    this.postRecv = pointerPointerPointer(context.getLong(VerbsLayout.CONTEXT_OPS_POST_RECV));
    this.pollCq = pointerIntPointer(context.getLong(VerbsLayout.CONTEXT_OPS_POLL_CQ));
    int bytes = VerbsLayout.SEND_WR_BYTES + VerbsLayout.SEND_SGES * VerbsLayout.SGE_BYTES + VerbsLayout.RECV_WR_BYTES
        + VerbsLayout.SGE_BYTES + 8 + POLL_BATCH * VerbsLayout.WC_BYTES;
    this.work = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes + 64));
    long base = (work.addressOffset() + 63) & ~63L;
    this.sendWr = base;
    this.recvWr = sendWr + VerbsLayout.SEND_WR_BYTES + VerbsLayout.SEND_SGES * VerbsLayout.SGE_BYTES;
    this.badWr = recvWr + VerbsLayout.RECV_WR_BYTES + VerbsLayout.SGE_BYTES;
    this.completions = badWr + 8;
  }

  /** {@code int f(void *, void *, void *)}: the shape of {@code post_send} and {@code post_recv}. */
  static Function pointerPointerPointer(long address) {
    return new Function(address, Type.SINT32, Type.POINTER, Type.POINTER, Type.POINTER);
  }

  /** {@code int f(void *, int, void *)}: the shape of {@code poll_cq}. */
  static Function pointerIntPointer(long address) {
    return new Function(address, Type.SINT32, Type.POINTER, Type.SINT32, Type.POINTER);
  }

  /** Calls a function of three arguments, each passed in a native word; returns its int result. */
  static int call(Function function, long a, long b, long c) {
    return (int) INVOKER.invokeNNNrN(function, a, b, c);
  }

  @Override
  public int number() {
    return number;
  }

  @Override
  public void connect(ConnectInfo remote, int psn) {
    Runtime runtime = Runtime.getRuntime(verbs);
    Pointer attr = Memory.allocateDirect(runtime, VerbsLayout.QP_ATTR_BYTES, true);
    attr.putInt(VerbsLayout.QP_ATTR_STATE, VerbsLayout.QPS_RTR);
    attr.putInt(VerbsLayout.QP_ATTR_PATH_MTU, nic.activeMtu());
    attr.putInt(VerbsLayout.QP_ATTR_DEST_QP_NUM, remote.qpNumber());
    attr.putInt(VerbsLayout.QP_ATTR_RQ_PSN, remote.psn());
    attr.putByte(VerbsLayout.QP_ATTR_MAX_DEST_RD_ATOMIC, (byte) 1);
    attr.putByte(VerbsLayout.QP_ATTR_MIN_RNR_TIMER, (byte) 12);
    attr.putShort(VerbsLayout.QP_ATTR_AH_DLID, remote.lid());
    attr.putByte(VerbsLayout.QP_ATTR_AH_PORT_NUM, nic.port());
    if (nic.ethernet()) { // RoCE: the peer is addressed by its GID
      attr.put(VerbsLayout.QP_ATTR_AH_GRH_DGID, remote.gid(), 0, VerbsLayout.GID_BYTES);
      attr.putByte(VerbsLayout.QP_ATTR_AH_IS_GLOBAL, (byte) 1);
      attr.putByte(VerbsLayout.QP_ATTR_AH_GRH_SGID_INDEX, (byte) nic.gidIndex());
      attr.putByte(VerbsLayout.QP_ATTR_AH_GRH_HOP_LIMIT, (byte) 1);
    }
    modify(attr, VerbsLayout.QP_STATE | VerbsLayout.QP_AV | VerbsLayout.QP_PATH_MTU | VerbsLayout.QP_DEST_QPN | VerbsLayout.QP_RQ_PSN
        | VerbsLayout.QP_MAX_DEST_RD_ATOMIC | VerbsLayout.QP_MIN_RNR_TIMER, "RTR");
    attr.setMemory(0, VerbsLayout.QP_ATTR_BYTES, (byte) 0);
    attr.putInt(VerbsLayout.QP_ATTR_STATE, VerbsLayout.QPS_RTS);
    attr.putInt(VerbsLayout.QP_ATTR_SQ_PSN, psn);
    attr.putByte(VerbsLayout.QP_ATTR_TIMEOUT, (byte) 14);
    attr.putByte(VerbsLayout.QP_ATTR_RETRY_CNT, (byte) 7);
    attr.putByte(VerbsLayout.QP_ATTR_RNR_RETRY, (byte) 7); // 7: retry for ever; credits should make RNR impossible
    attr.putByte(VerbsLayout.QP_ATTR_MAX_RD_ATOMIC, (byte) 1);
    modify(attr, VerbsLayout.QP_STATE | VerbsLayout.QP_SQ_PSN | VerbsLayout.QP_TIMEOUT | VerbsLayout.QP_RETRY_CNT
        | VerbsLayout.QP_RNR_RETRY | VerbsLayout.QP_MAX_QP_RD_ATOMIC, "RTS");
  }

  /** Moves a new queue pair to INIT on the nic's port, receives allowed to write local memory. */
  void init() {
    Pointer attr = Memory.allocateDirect(Runtime.getRuntime(verbs), VerbsLayout.QP_ATTR_BYTES, true);
    attr.putInt(VerbsLayout.QP_ATTR_STATE, VerbsLayout.QPS_INIT);
    attr.putShort(VerbsLayout.QP_ATTR_PKEY_INDEX, (short) 0);
    attr.putByte(VerbsLayout.QP_ATTR_PORT_NUM, nic.port());
    attr.putInt(VerbsLayout.QP_ATTR_ACCESS_FLAGS, VerbsLayout.ACCESS_LOCAL_WRITE);
    modify(attr, VerbsLayout.QP_STATE | VerbsLayout.QP_PKEY_INDEX | VerbsLayout.QP_PORT | VerbsLayout.QP_ACCESS_FLAGS, "INIT");
  }

  private void modify(Pointer attr, int mask, String state) {
    int rc = verbs.ibv_modify_qp(qp, attr, mask);
    if (rc != 0) throw new IllegalStateException("ibv_modify_qp to " + state + " failed on " + nic.device() + ": " + rc);
  }

  @Override
  public void postSend(long wrId, long address, int length, int lkey, int immediate) {
    long sge = sendWr + VerbsLayout.SEND_WR_BYTES;
    work.setMemory((int) (sendWr - work.addressOffset()), VerbsLayout.SEND_WR_BYTES, (byte) 0);
    putSge(sge, address, length, lkey);
    putSendWr(wrId, sge, length == 0 ? 0 : 1, immediate);
  }

  @Override
  public void postSend(long wrId, long address, int length, int lkey, long address2, int length2, int lkey2) {
    long sge = sendWr + VerbsLayout.SEND_WR_BYTES;
    work.setMemory((int) (sendWr - work.addressOffset()), VerbsLayout.SEND_WR_BYTES, (byte) 0);
    putSge(sge, address, length, lkey);
    putSge(sge + VerbsLayout.SGE_BYTES, address2, length2, lkey2);
    putSendWr(wrId, sge, VerbsLayout.SEND_SGES, -1);
  }

  /** Fills the (zeroed) send work request over {@code sges} entries at {@code sge} and posts it. */
  private void putSendWr(long wrId, long sge, int sges, int immediate) {
    putLong(sendWr + VerbsLayout.WR_ID, wrId);
    putLong(sendWr + VerbsLayout.WR_SG_LIST, sge);
    putInt(sendWr + VerbsLayout.WR_NUM_SGE, sges);
    putInt(sendWr + VerbsLayout.SEND_WR_OPCODE, immediate < 0 ? VerbsLayout.WR_SEND : VerbsLayout.WR_SEND_WITH_IMM);
    putInt(sendWr + VerbsLayout.SEND_WR_SEND_FLAGS, VerbsLayout.SEND_SIGNALED);
    putInt(sendWr + VerbsLayout.SEND_WR_IMM_DATA, Integer.reverseBytes(Math.max(immediate, 0))); // __be32
    int rc = call(postSend, qpAddress, sendWr, badWr);
    if (rc != 0) throw new IllegalStateException("ibv_post_send failed: " + rc);
  }

  @Override
  public void postReceive(long wrId, long address, int length, int lkey) {
    long sge = recvWr + VerbsLayout.RECV_WR_BYTES;
    putSge(sge, address, length, lkey);
    putLong(recvWr + VerbsLayout.WR_ID, wrId);
    putLong(recvWr + VerbsLayout.WR_NEXT, 0);
    putLong(recvWr + VerbsLayout.WR_SG_LIST, sge);
    putInt(recvWr + VerbsLayout.WR_NUM_SGE, length == 0 ? 0 : 1);
    int rc = call(postRecv, qpAddress, recvWr, badWr);
    if (rc != 0) throw new IllegalStateException("ibv_post_recv failed: " + rc);
  }

  @Override
  public int poll(WorkCompletions to) {
    int n = call(pollCq, cqAddress, POLL_BATCH, completions);
    if (n < 0) throw new IllegalStateException("ibv_poll_cq failed: " + n);
    for (int i = 0; i < n; i++) {
      long wc = completions + (long) i * VerbsLayout.WC_BYTES;
      long wrId = getLong(wc + VerbsLayout.WC_WR_ID);
      int status = getInt(wc + VerbsLayout.WC_STATUS);
      if (status != VerbsLayout.WC_SUCCESS) to.failed(wrId, "work completion status " + status);
      else if ((getInt(wc + VerbsLayout.WC_OPCODE) & VerbsLayout.WC_OPCODE_RECV) == 0) to.sent(wrId);
      else {
        boolean imm = (getInt(wc + VerbsLayout.WC_FLAGS) & VerbsLayout.WC_WITH_IMM) != 0;
        to.received(wrId, getInt(wc + VerbsLayout.WC_BYTE_LEN), imm ? Integer.reverseBytes(getInt(wc + VerbsLayout.WC_IMM_DATA)) : -1);
      }
    }
    return n;
  }

  @Override
  public void close() {
    verbs.ibv_destroy_qp(qp);
    verbs.ibv_destroy_cq(cq);
  }

  private void putSge(long sge, long address, int length, int lkey) {
    putLong(sge + VerbsLayout.SGE_ADDR, address);
    putInt(sge + VerbsLayout.SGE_LENGTH, length);
    putInt(sge + VerbsLayout.SGE_LKEY, lkey);
  }

  private void putLong(long address, long v) {
    work.putLong((int) (address - work.addressOffset()), v);
  }

  private void putInt(long address, int v) {
    work.putInt((int) (address - work.addressOffset()), v);
  }

  private long getLong(long address) {
    return work.getLong((int) (address - work.addressOffset()));
  }

  private int getInt(long address) {
    return work.getInt((int) (address - work.addressOffset()));
  }
}
