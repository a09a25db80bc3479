package io.tensorfs.transport.internal.rdma;

import io.tensorfs.transport.rdma.RdmaSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.transport.PageRun;
import io.tensorfs.transport.internal.CountingRun;
import io.tensorfs.transport.internal.FrameHandler;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The send and receive rings' framing and credit over an in-memory queue pair (no device). */
class RingsTest {
  static final int SLOTS = 8;
  static final int SLOT_BYTES = 4096;

  final FakeFabric fabric = new FakeFabric();
  final FakeFabric.FakeNic sendNic = (FakeFabric.FakeNic) fabric.nic();
  final FakeFabric.FakeNic receiveNic = (FakeFabric.FakeNic) fabric.nic();
  final FakeFabric.FakeQueuePair sendQp = fabric.queuePair(sendNic);
  final FakeFabric.FakeQueuePair receiveQp = fabric.queuePair(receiveNic);
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
    connect(slots, creditBatch, RegisteredRegions.NONE);
  }

  void connect(int slots, int creditBatch, RegisteredRegions regions) {
    ByteBuffer receiving = ByteBuffer.allocateDirect(slots * SLOT_BYTES);
    receiver = new ReceiveRing(receiveQp, receiving, receiveNic.register(receiving), slots, SLOT_BYTES, creditBatch,
        ReceiveRing.creditMessages(slots, creditBatch));
    ByteBuffer sending = ByteBuffer.allocateDirect(slots * SLOT_BYTES);
    sender = new SendRing(sendQp, sending, sendNic.register(sending), slots, SLOT_BYTES, slots,
        ReceiveRing.creditMessages(slots, creditBatch), regions);
    connectPair();
  }

  boolean offer(DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
    return sender.offer(header, headerLength, payload, payloadOffset, payloadLength, null);
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
      if (sent < count && offer(header(sent, length), 16, payload(sent, length + 3), 3, length)) sent++;
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
    while (offer(header(taken, 10), 16, payload(taken, 10), 0, 10)) taken++;
    assertEquals(SLOTS, taken, "one frame per receive the peer posted");
    sender.poll(); // the sends completed, but no credit came back
    assertFalse(offer(header(taken, 10), 16, payload(taken, 10), 0, 10));

    receiver.poll(collect);
    assertEquals(SLOTS, frames.size());
    sender.poll();
    assertEquals(SLOTS, sender.credits(), "every slot re-posted was handed back");
    assertTrue(offer(header(taken, 10), 16, payload(taken, 10), 0, 10));
    assertEquals(0, fabric.receiverNotReady());
  }

  @Test
  void shouldHoldBackCreditUntilABatchIsReposted() {
    connect(SLOTS, 4);
    for (int i = 0; i < 3; i++) assertTrue(offer(header(i, 0), 16, new UnsafeBuffer(new byte[0]), 0, 0));
    receiver.poll(collect);
    sender.poll();
    assertEquals(SLOTS - 3, sender.credits(), "three re-posted slots are less than a batch of four");
    assertTrue(offer(header(3, 0), 16, new UnsafeBuffer(new byte[0]), 0, 0));
    receiver.poll(collect);
    sender.poll();
    assertEquals(SLOTS, sender.credits());
  }

  @Test
  void shouldFailTheSenderWhenThePeerQueuePairIsGone() {
    connect(SLOTS, 2);
    receiveQp.close();
    assertTrue(offer(header(0, 1), 16, new UnsafeBuffer(new byte[1]), 0, 1));
    sender.poll();
    assertNotNull(sender.failure());
    assertFalse(offer(header(1, 1), 16, new UnsafeBuffer(new byte[1]), 0, 1), "a failed ring takes nothing more");
  }

  @Test
  void shouldRejectAFrameLargerThanASlot() {
    connect(SLOTS, 2);
    assertThrows(IllegalArgumentException.class, () -> offer(header(0, SLOT_BYTES), 16, new UnsafeBuffer(new byte[SLOT_BYTES]), 0, SLOT_BYTES));
  }

  /** Direct memory of {@code bytes} random bytes, standing in for the page pool. */
  static ByteBuffer pool(int bytes) {
    ByteBuffer pool = ByteBuffer.allocateDirect(bytes);
    byte[] b = bytes(99, bytes);
    pool.put(b).clear();
    return pool;
  }

  @Test
  void shouldSendAPayloadInRegisteredMemoryAsASecondEntryWithoutCopyingItAndReleaseItsRunOnlyAtTheCompletion() {
    ByteBuffer pool = pool(SLOTS * SLOT_BYTES);
    connect(SLOTS, 2, RegisteredRegions.register(sendNic, List.of(pool)));
    UnsafeBuffer pages = new UnsafeBuffer(pool);
    List<CountingRun> runs = new ArrayList<>();
    fabric.holdSendCompletions(true);
    for (int i = 0; i < SLOTS; i++) {
      int at = i * 1000 + 7;
      int length = SLOT_BYTES - 16;
      CountingRun run = new CountingRun(pool.duplicate().position(at).limit(at + length));
      runs.add(run);
      assertTrue(sender.offer(header(i, length), 16, pages, at, length, run), "frame " + i);
    }
    assertEquals(SLOTS, fabric.gatheredSends(), "every frame a SEND of header and page");
    assertEquals(SLOTS, sender.framesFromPages());
    assertEquals(0, sender.copiedPayloadBytes(), "no payload byte copied into the ring");
    receiver.poll(collect);
    assertEquals(SLOTS, frames.size(), "the frames arrived");
    byte[] expected = bytes(99, SLOTS * SLOT_BYTES);
    for (int i = 0; i < SLOTS; i++) {
      byte[] f = frames.get(i);
      assertEquals(i, ByteBuffer.wrap(f).order(java.nio.ByteOrder.nativeOrder()).getInt(0), "frame order");
      assertEquals(SLOT_BYTES, f.length);
      for (int j = 16; j < f.length; j++) assertEquals(expected[i * 1000 + 7 + j - 16], f[j], "frame " + i + " byte " + j);
    }
    boolean[] ended = new boolean[1];
    sender.afterSent(() -> ended[0] = true);
    sender.poll();
    for (CountingRun run : runs) assertEquals(0, run.released.get(), "a run went back before its SEND completed");
    assertFalse(ended[0], "the end of a transfer waited for its sends");

    fabric.holdSendCompletions(false);
    sender.poll();
    for (CountingRun run : runs) assertEquals(1, run.released.get(), "each run goes back once, at its SEND's completion");
    assertTrue(ended[0]);
    assertEquals(0, fabric.badKey(), "every entry within memory registered under its lkey");
    assertNull(sender.failure());
  }

  @Test
  void shouldCopyAPayloadOutsideRegisteredMemory() {
    ByteBuffer memory = pool(2 * SLOT_BYTES);
    ByteBuffer pool = memory.duplicate().limit(SLOT_BYTES).slice(); // the registered region: the first half
    connect(SLOTS, 2, RegisteredRegions.register(sendNic, List.of(pool)));
    ByteBuffer unregistered = pool(SLOT_BYTES);
    assertTrue(offer(header(0, 100), 16, payload(0, 100), 0, 100), "heap bytes");
    assertTrue(offer(header(1, 100), 16, new UnsafeBuffer(unregistered), 0, 100), "an unregistered direct buffer");
    assertTrue(offer(header(2, 100), 16, new UnsafeBuffer(memory), SLOT_BYTES - 50, 100), "across the registered region's end");
    assertEquals(0, fabric.gatheredSends());
    assertEquals(300, sender.copiedPayloadBytes());
    receiver.poll(collect);
    assertEquals(3, frames.size());
    byte[] expected = bytes(99, SLOT_BYTES);
    for (int j = 0; j < 100; j++) assertEquals(expected[j], frames.get(1)[16 + j]);
    assertEquals(0, fabric.badKey());
  }

  @Test
  void shouldCopyFromARegionTheDeviceRefusedToRegister() {
    ByteBuffer refused = pool(SLOT_BYTES);
    ByteBuffer taken = pool(SLOT_BYTES);
    fabric.refuseRegistrationAt(new UnsafeBuffer(refused).addressOffset());
    RegisteredRegions regions = RegisteredRegions.register(sendNic, List.of(refused, taken));
    assertEquals(1, regions.count(), "the refused region is left out");
    connect(SLOTS, 2, regions);
    assertTrue(offer(header(0, 100), 16, new UnsafeBuffer(refused), 0, 100));
    assertTrue(offer(header(1, 100), 16, new UnsafeBuffer(taken), 0, 100));
    assertEquals(1, fabric.gatheredSends(), "only the registered region is sent from");
    assertEquals(100, sender.copiedPayloadBytes());
    receiver.poll(collect);
    assertEquals(2, frames.size());
    assertEquals(0, fabric.badKey());
  }

  /**
   * Under a memlock limit smaller than the pool plus the rings, the pool is registered only as far as it
   * leaves the reserve for rings: both rings still register, and frames from the regions left out are
   * copied. Without the reserve the pool would take the limit and the rings' registration would fail.
   */
  @Test
  void shouldRegisterThePoolOnlyAsFarAsTheMemlockLimitLeavesTheRingsTheirReserve() {
    ByteBuffer first = pool(SLOT_BYTES);
    ByteBuffer second = pool(SLOT_BYTES);
    long ringBytes = (long) SLOTS * SLOT_BYTES;
    // Each nic may lock one pool region and one ring (its own), less than the pool (two regions) plus a ring.
    fabric.memlockBudget(SLOT_BYTES + ringBytes);
    RegisteredRegions regions = RegisteredRegions.register(sendNic, List.of(first, second), ringBytes);
    assertEquals(1, regions.count(), "only as much of the pool as leaves a ring's reserve");
    connect(SLOTS, 2, regions); // registers a ring on each nic: throws when the pool took the limit
    assertEquals(0, fabric.overBudget(), "no registration went past the limit");
    long lowest = Math.min(new UnsafeBuffer(first).addressOffset(), new UnsafeBuffer(second).addressOffset());
    ByteBuffer registered = new UnsafeBuffer(first).addressOffset() == lowest ? first : second;
    ByteBuffer copied = registered == first ? second : first;
    assertTrue(offer(header(0, 100), 16, new UnsafeBuffer(registered), 0, 100));
    assertTrue(offer(header(1, 100), 16, new UnsafeBuffer(copied), 0, 100));
    assertEquals(1, fabric.gatheredSends(), "the registered region is sent from");
    assertEquals(100, sender.copiedPayloadBytes(), "the region left out is copied from");
    receiver.poll(collect);
    assertEquals(2, frames.size());
    byte[] expected = bytes(99, SLOT_BYTES);
    for (byte[] f : frames) for (int j = 0; j < 100; j++) assertEquals(expected[j], f[16 + j]);
    assertEquals(0, fabric.badKey());
  }

  @Test
  void shouldRegisterThePoolWholeWithoutAMemlockLimit() {
    RegisteredRegions regions = RegisteredRegions.register(sendNic, List.of(pool(SLOT_BYTES), pool(SLOT_BYTES)), 1L << 40);
    assertEquals(2, regions.count(), "no limit: the whole pool whatever the reserve");
  }

  @Test
  void shouldReleaseHeldRunsAndRunWaitingActionsWhenTheRingIsClosed() {
    ByteBuffer pool = pool(SLOT_BYTES);
    connect(SLOTS, 2, RegisteredRegions.register(sendNic, List.of(pool)));
    fabric.holdSendCompletions(true);
    CountingRun run = new CountingRun(pool.duplicate());
    assertTrue(sender.offer(header(0, 100), 16, new UnsafeBuffer(pool), 0, 100, run));
    boolean[] ended = new boolean[1];
    sender.afterSent(() -> ended[0] = true);
    sender.poll();
    assertEquals(0, run.released.get());
    sender.close();
    sender.releaseAll();
    assertEquals(1, run.released.get());
    assertTrue(ended[0]);
    fabric.holdSendCompletions(false);
  }
}
