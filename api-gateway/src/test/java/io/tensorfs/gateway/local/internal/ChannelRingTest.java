package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The node's ring codec over a channel file's bytes, as a client lays them out. */
class ChannelRingTest {
  static final int SLOTS = 4;
  static final int SLOT_BYTES = 8192;
  static final byte[] NONCE = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  static ByteBuffer file(int slots, int slotBytes) {
    ByteBuffer b = ByteBuffer.allocateDirect((int) fileBytes(slots, slotBytes)).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(MAGIC_AT, MAGIC).putInt(VERSION_AT, VERSION).putInt(SLOTS_AT, slots).putInt(SLOT_BYTES_AT, slotBytes);
    b.put(NONCE_AT, NONCE);
    return b;
  }

  @Test
  void shouldTakeSubmissionsInOrderAndPushCompletionsWithTheirTail() {
    ByteBuffer f = file(SLOTS, SLOT_BYTES);
    ChannelRing ring = ChannelRing.check(f, NONCE);
    assertEquals(0, ring.pending());
    f.putInt(SQ_AT, 2).putInt(SQ_AT + 4, 0).putInt(SQ_TAIL_AT, 2);
    assertEquals(2, ring.pending());
    assertEquals(2, ring.take());
    assertEquals(0, ring.take());
    assertEquals(0, ring.pending());
    assertEquals(2, f.getInt(SQ_HEAD_AT));
    ring.complete(2, 0, 77);
    ring.complete(0, 3, 0);
    assertEquals(2, f.getInt(CQ_TAIL_AT));
    assertEquals(2, f.getInt(CQ_AT));
    assertEquals(77, f.getLong(CQ_AT + 8));
    assertEquals(0, f.getInt(CQ_AT + CQ_ENTRY_BYTES));
    assertEquals(3, f.getInt(CQ_AT + CQ_ENTRY_BYTES + 4));
  }

  @Test
  void shouldWrapTheRingsPastTheirSize() {
    ByteBuffer f = file(SLOTS, SLOT_BYTES);
    ChannelRing ring = ChannelRing.check(f, NONCE);
    for (int i = 0; i < 3 * SLOTS + 1; i++) {
      f.putInt(SQ_AT + 4 * (i % SLOTS), i % SLOTS).putInt(SQ_TAIL_AT, i + 1);
      assertEquals(i % SLOTS, ring.take());
      ring.complete(i % SLOTS, 0, i);
      assertEquals(i, f.getLong(CQ_AT + CQ_ENTRY_BYTES * (i % SLOTS) + 8));
    }
    assertEquals(3 * SLOTS + 1, f.getInt(CQ_TAIL_AT));
  }

  @Test
  void shouldWriteTheErrorTextAtTheEndOfTheSlotCutToItsRoom() {
    ByteBuffer f = file(SLOTS, SLOT_BYTES);
    ChannelRing ring = ChannelRing.check(f, NONCE);
    ring.errorText(1, "no such file");
    int at = HEADER_BYTES + SLOT_BYTES + SLOT_BYTES - ERROR_TEXT_FROM_END;
    assertEquals(12, f.getShort(at));
    ring.errorText(3, "é".repeat(2000));
    int last = HEADER_BYTES + 3 * SLOT_BYTES + SLOT_BYTES - ERROR_TEXT_FROM_END;
    assertEquals(1022, f.getShort(last));
    assertTrue(f.capacity() >= last + 2 + 1022);
  }

  @Test
  void shouldRefuseAHeaderThatDoesNotMatch() {
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putLong(MAGIC_AT, 1), NONCE), "magic");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putInt(VERSION_AT, 2), NONCE), "version");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putInt(SLOTS_AT, 3), NONCE), "power of two");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putInt(SLOTS_AT, 2048), NONCE), "power of two");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putInt(SLOT_BYTES_AT, 5000), NONCE), "slot_bytes");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES).putInt(SLOTS_AT, 8), NONCE), "need");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES), "fedcba9876543210".getBytes(StandardCharsets.US_ASCII)), "nonce");
    assertBad(() -> ChannelRing.check(file(SLOTS, SLOT_BYTES), new byte[3]), "nonce");
    assertBad(() -> ChannelRing.check(ByteBuffer.allocateDirect(100), NONCE), "header");
  }

  static void assertBad(Runnable r, String says) {
    TfsException e = assertThrows(TfsException.class, r::run);
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().contains(says), e.getMessage());
  }
}
