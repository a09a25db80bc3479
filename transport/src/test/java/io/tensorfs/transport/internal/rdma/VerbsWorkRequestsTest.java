package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The work requests {@link VerbsQueuePair} lays out in its one direct buffer, read back after a post: no
 * device is here, so the queue pair is made over a stand-in {@code ibv_qp} and context whose {@code
 * post_send} and {@code post_recv} pointers name {@code sched_yield} (returns 0, touches nothing). The
 * struct offsets themselves are checked against verbs.h by {@link VerbsLayoutTest}.
 */
class VerbsWorkRequestsTest {
  private final ByteBuffer context = ByteBuffer.allocateDirect(512);
  private final ByteBuffer qp = ByteBuffer.allocateDirect(256);
  private final ByteBuffer cq = ByteBuffer.allocateDirect(256);

  VerbsQueuePair pair() {
    long yield = VerbsCallsTest.libc("sched_yield");
    UnsafeBuffer c = new UnsafeBuffer(context);
    c.putLong(VerbsLayout.CONTEXT_OPS_POST_SEND, yield);
    c.putLong(VerbsLayout.CONTEXT_OPS_POST_RECV, yield);
    c.putLong(VerbsLayout.CONTEXT_OPS_POLL_CQ, yield);
    UnsafeBuffer q = new UnsafeBuffer(qp);
    q.putLong(VerbsLayout.QP_CONTEXT, c.addressOffset());
    q.putInt(VerbsLayout.QP_NUM, 77);
    Runtime runtime = Runtime.getSystemRuntime();
    return new VerbsQueuePair(null, null, Pointer.wrap(runtime, new UnsafeBuffer(cq).addressOffset()), Pointer.wrap(runtime, q.addressOffset()));
  }

  @Test
  void shouldLayOutAGatherSendAsOneSignalledSendOfTwoEntriesAfterTheWorkRequest() {
    VerbsQueuePair pair = pair();
    assertEquals(77, pair.number());
    pair.postSend(5, 0x1000, 56, 11, 0x200000, 65480, 22);
    long wr = pair.sendWr;
    long sge = wr + VerbsLayout.SEND_WR_BYTES;
    assertEquals(5, longAt(wr + VerbsLayout.WR_ID));
    assertEquals(0, longAt(wr + VerbsLayout.WR_NEXT), "one work request");
    assertEquals(sge, longAt(wr + VerbsLayout.WR_SG_LIST));
    assertEquals(2, intAt(wr + VerbsLayout.WR_NUM_SGE));
    assertEquals(VerbsLayout.WR_SEND, intAt(wr + VerbsLayout.SEND_WR_OPCODE));
    assertEquals(VerbsLayout.SEND_SIGNALED, intAt(wr + VerbsLayout.SEND_WR_SEND_FLAGS));
    assertSge(sge, 0x1000, 56, 11);
    assertSge(sge + VerbsLayout.SGE_BYTES, 0x200000, 65480, 22);
    assertEquals(sge + VerbsLayout.SEND_SGES * VerbsLayout.SGE_BYTES, pair.recvWr, "the receive follows both entries");

    pair.postReceive(6, 0x3000, 4096, 33);
    assertSge(sge + VerbsLayout.SGE_BYTES, 0x200000, 65480, 22); // a receive leaves the send's entries alone
    pair.postSend(7, 0x1000, 0, 11, 9);
    assertEquals(0, intAt(wr + VerbsLayout.WR_NUM_SGE), "a credit message carries no entry");
    assertEquals(VerbsLayout.WR_SEND_WITH_IMM, intAt(wr + VerbsLayout.SEND_WR_OPCODE));
    assertEquals(Integer.reverseBytes(9), intAt(wr + VerbsLayout.SEND_WR_IMM_DATA), "immediate data in network order");
    pair.postSend(8, 0x1000, 100, 11, -1);
    assertEquals(1, intAt(wr + VerbsLayout.WR_NUM_SGE), "a copied frame is one entry");
    assertSge(sge, 0x1000, 100, 11);
  }

  private static long longAt(long address) {
    return new UnsafeBuffer(address, 8).getLong(0);
  }

  private static int intAt(long address) {
    return new UnsafeBuffer(address, 4).getInt(0);
  }

  private void assertSge(long sge, long address, int length, int lkey) {
    assertEquals(address, longAt(sge + VerbsLayout.SGE_ADDR));
    assertEquals(length, intAt(sge + VerbsLayout.SGE_LENGTH));
    assertEquals(lkey, intAt(sge + VerbsLayout.SGE_LKEY));
  }
}
