package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.transport.internal.FrameHandler;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The send and receive rings' framing and credit over an in-memory queue pair (no device). */
class RingsTest {
  static final int SLOTS = 8;
  static final int SLOT_BYTES = 4096;

  final FakeFabric fabric = new FakeFabric();
  final FakeFabric.FakeQueuePair sendQp = fabric.queuePair();
  final FakeFabric.FakeQueuePair receiveQp = fabric.queuePair();
  final List<byte[]> frames = new ArrayList<>();
  final FrameHandler collect = new FrameHandler() {
    @Override
    public void onFrame(DirectBuffer buffer, int offset, int length) {
      byte[] b = new byte[length];
      buffer.getBytes(offset, b);
      frames.add(b);
    }

    @Override
    public void onPeerLost(String endpoint, String reason) {}
  };
  ReceiveRing receiver;
  SendRing sender;

  void connect(int slots, int creditBatch) {
    receiver = new ReceiveRing(receiveQp, ByteBuffer.allocateDirect(slots * SLOT_BYTES), 1, slots, SLOT_BYTES, creditBatch,
        ReceiveRing.creditMessages(slots, creditBatch));
    sender = new SendRing(sendQp, ByteBuffer.allocateDirect(slots * SLOT_BYTES), 2, slots, SLOT_BYTES, slots,
        ReceiveRing.creditMessages(slots, creditBatch));
    connectPair();
  }

  void connectPair() {
    sendQp.connect(new ConnectInfo(receiveQp.number(), 0, (short) 1, new byte[16], SLOTS, SLOT_BYTES), 0);
    receiveQp.connect(new ConnectInfo(sendQp.number(), 0, (short) 1, new byte[16], SLOTS, SLOT_BYTES), 0);
  }

  static UnsafeBuffer header(int seq, int length) {
    UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
    h.putInt(0, seq);
    h.putInt(4, length);
    return h;
  }

  static byte[] bytes(int seq, int length) {
    byte[] p = new byte[length];
    new Random(seq).nextBytes(p);
    return p;
  }

  static UnsafeBuffer payload(int seq, int length) {
    return new UnsafeBuffer(bytes(seq, length));
  }

  @Test
  void shouldDeliverEveryFrameInOrderByteExactWhenFarMoreFramesThanSlots() {
    connect(SLOTS, RdmaSettings.creditBatch(SLOTS));
    Random random = new Random(7);
    int count = 2000;
    int sent = 0;
    int refusals = 0;
    while (frames.size() < count) {
      int length = sent % 97 == 0 ? 0 : random.nextInt(SLOT_BYTES - 16);
      if (sent < count && sender.offer(header(sent, length), 16, payload(sent, length + 3), 3, length)) sent++;
      else refusals++;
      if (random.nextInt(3) == 0) receiver.poll(collect);
      if (random.nextInt(3) == 0) sender.poll();
    }
    for (int i = 0; i < count; i++) {
      ByteBuffer f = ByteBuffer.wrap(frames.get(i)).order(java.nio.ByteOrder.nativeOrder());
      assertEquals(i, f.getInt(0), "frame order");
      int length = f.getInt(4);
      assertEquals(16 + length, frames.get(i).length);
      byte[] expected = bytes(i, length + 3);
      for (int j = 0; j < length; j++) assertEquals(expected[3 + j], frames.get(i)[16 + j], "frame " + i + " byte " + j);
    }
    assertTrue(refusals > 0, "the sender ran out of credit at times");
    assertEquals(0, fabric.receiverNotReady(), "a SEND found no posted receive");
    assertEquals(0, fabric.tooLong());
    assertNull(sender.failure());
    assertNull(receiver.failure());
  }

  @Test
  void shouldRefuseFramesWhenTheReceiverReturnedNoCreditAndTakeThemOnceItDid() {
    connect(SLOTS, 2);
    int taken = 0;
    while (sender.offer(header(taken, 10), 16, payload(taken, 10), 0, 10)) taken++;
    assertEquals(SLOTS, taken, "one frame per receive the peer posted");
    sender.poll(); // the sends completed, but no credit came back
    assertFalse(sender.offer(header(taken, 10), 16, payload(taken, 10), 0, 10));

    receiver.poll(collect);
    assertEquals(SLOTS, frames.size());
    sender.poll();
    assertEquals(SLOTS, sender.credits(), "every slot re-posted was handed back");
    assertTrue(sender.offer(header(taken, 10), 16, payload(taken, 10), 0, 10));
    assertEquals(0, fabric.receiverNotReady());
  }

  @Test
  void shouldHoldBackCreditUntilABatchIsReposted() {
    connect(SLOTS, 4);
    for (int i = 0; i < 3; i++) assertTrue(sender.offer(header(i, 0), 16, new UnsafeBuffer(new byte[0]), 0, 0));
    receiver.poll(collect);
    sender.poll();
    assertEquals(SLOTS - 3, sender.credits(), "three re-posted slots are less than a batch of four");
    assertTrue(sender.offer(header(3, 0), 16, new UnsafeBuffer(new byte[0]), 0, 0));
    receiver.poll(collect);
    sender.poll();
    assertEquals(SLOTS, sender.credits());
  }

  @Test
  void shouldFailTheSenderWhenThePeerQueuePairIsGone() {
    connect(SLOTS, 2);
    receiveQp.close();
    assertTrue(sender.offer(header(0, 1), 16, new UnsafeBuffer(new byte[1]), 0, 1));
    sender.poll();
    assertNotNull(sender.failure());
    assertFalse(sender.offer(header(1, 1), 16, new UnsafeBuffer(new byte[1]), 0, 1), "a failed ring takes nothing more");
  }

  @Test
  void shouldRejectAFrameLargerThanASlot() {
    connect(SLOTS, 2);
    assertThrows(IllegalArgumentException.class, () -> sender.offer(header(0, SLOT_BYTES), 16, new UnsafeBuffer(new byte[SLOT_BYTES]), 0, SLOT_BYTES));
  }
}
