package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.ChannelRingTest.assertBad;
import static io.tensorfs.gateway.local.internal.RingLayout.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** Every op decoded from a slot, and every malformed record refused with BAD_REQUEST, never read past the slot. */
class SlotDecoderTest {
  private static final int SLOT_BYTES = 8192;
  // The slot under test is the last of the buffer, so a read past it would leave the buffer and throw otherwise.
  private final ByteBuffer bytes = ByteBuffer.allocateDirect(SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final UnsafeBuffer slot = new UnsafeBuffer(bytes);
  private int args = ARGS_AT;

  private SlotRequest decode() {
    slot.putInt(ARGS_LEN_AT, args - ARGS_AT);
    return SlotDecoder.decode(slot, 0, SLOT_BYTES);
  }

  private void record(int op, int flags, int count, long offset) {
    slot.setMemory(0, SLOT_BYTES, (byte) 0);
    slot.putShort(OP_AT, (short) op);
    slot.putShort(FLAGS_AT, (short) flags);
    slot.putInt(COUNT_AT, count);
    slot.putLong(OFFSET_AT, offset);
    args = ARGS_AT;
  }

  private void string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    slot.putShort(args, (short) b.length);
    slot.putBytes(args + 2, b);
    args += 2 + b.length;
  }

  private void sge(int id, long offset, long length) {
    args = (args + 7) & ~7;
    slot.putInt(args, id);
    slot.putLong(args + 8, offset);
    slot.putLong(args + 16, length);
    args += SGE_BYTES;
  }

  @Test
  void shouldDecodeAReadWithItsPathAndSges() {
    record(OP_READ, 1, 2, 4096);
    string("/t/file");
    sge(INLINE_BUFFER, 1024, 1);
    sge(7, 0, 1 << 20);
    SlotRequest.Io io = assertInstanceOf(SlotRequest.Io.class, decode());
    assertEquals(false, io.write());
    assertEquals(1, io.flags());
    assertEquals("/t/file", io.path());
    assertEquals(4096, io.offset());
    assertEquals(List.of(new SlotRequest.SgeRef(INLINE_BUFFER, 1024, 1), new SlotRequest.SgeRef(7, 0, 1 << 20)), io.sges());
  }

  @Test
  void shouldDecodeAWriteWithItsPolicy() {
    record(OP_WRITE, 0, 1, 0);
    string("/t/w");
    slot.putBytes(args, "kvcache".getBytes(StandardCharsets.UTF_8));
    args += 7;
    slot.putInt(POLICY_LEN_AT, 7);
    sge(3, 10, 20);
    SlotRequest.Io io = assertInstanceOf(SlotRequest.Io.class, decode());
    assertEquals(true, io.write());
    assertEquals("kvcache", io.policy());
    assertEquals(List.of(new SlotRequest.SgeRef(3, 10, 20)), io.sges());
  }

  @Test
  void shouldDecodeKvOpsWithKeysSgesAndResultArea() {
    record(OP_KV_GET, 0, 2, 0);
    string("tenant");
    string("k1");
    string("k/2");
    sge(INLINE_BUFFER, 4096, 100);
    sge(2, 0, 100);
    slot.putInt(RESULTS_OFF_AT, 2048);
    SlotRequest.Kv kv = assertInstanceOf(SlotRequest.Kv.class, decode());
    assertEquals("tenant", kv.tenant());
    assertEquals(List.of("k1", "k/2"), kv.keys());
    assertEquals(2, kv.sges().size());
    assertEquals(2048, kv.resultsOff());

    record(OP_KV_EXISTS, 0, 1, 0);
    string("tenant");
    string("k1");
    slot.putInt(RESULTS_OFF_AT, 512);
    assertEquals(List.of(), assertInstanceOf(SlotRequest.Kv.class, decode()).sges());
  }

  @Test
  void shouldDecodeRegistrationsAndTheBareOps() {
    record(OP_REGISTER_HOST, 0, 0, 0);
    string("tfs-1-abc");
    slot.putLong(args, 1 << 20);
    args += 8;
    assertEquals(new SlotRequest.RegisterHost("tfs-1-abc", 1 << 20), decode());

    record(OP_REGISTER_GPU, 0, 0, 0);
    byte[] handle = new byte[64];
    handle[5] = 9;
    slot.putBytes(args, handle);
    slot.putInt(args + 64, 1);
    slot.putLong(args + 72, 4096);
    args += 80;
    SlotRequest.RegisterGpu gpu = assertInstanceOf(SlotRequest.RegisterGpu.class, decode());
    assertArrayEquals(handle, gpu.ipcHandle());
    assertEquals(1, gpu.device());
    assertEquals(4096, gpu.sizeBytes());

    record(OP_UNREGISTER, 0, 0, 5);
    assertEquals(new SlotRequest.Unregister(5), decode());
    record(OP_NOP, 0, 0, 0);
    assertInstanceOf(SlotRequest.Nop.class, decode());
    record(OP_DETACH, 0, 0, 0);
    assertInstanceOf(SlotRequest.Detach.class, decode());
  }

  @Test
  void shouldRefuseAnUnknownOp() {
    record(0, 0, 0, 0);
    assertBad(this::decode, "unknown op 0");
    record(12, 0, 0, 0);
    assertBad(this::decode, "unknown op 12");
    record(0xFFFF, 0, 0, 0);
    assertBad(this::decode, "unknown op 65535");
  }

  @Test
  void shouldRefuseArgsLongerThanTheSlot() {
    record(OP_NOP, 0, 0, 0);
    slot.putInt(ARGS_LEN_AT, SLOT_BYTES);
    assertBad(() -> SlotDecoder.decode(slot, 0, SLOT_BYTES), "args_len");
    slot.putInt(ARGS_LEN_AT, -1);
    assertBad(() -> SlotDecoder.decode(slot, 0, SLOT_BYTES), "args_len");
  }

  @Test
  void shouldRefuseStringsPastTheArguments() {
    record(OP_READ, 0, 0, 0);
    slot.putShort(args, (short) 0xFFFF);
    args += 2;
    assertBad(this::decode, "path runs past");

    record(OP_READ, 0, 0, 0);
    args += 1; // half a length
    assertBad(this::decode, "path runs past");

    record(OP_KV_EXISTS, 0, 2, 0);
    string("t");
    string("k");
    slot.putInt(RESULTS_OFF_AT, 1024);
    assertBad(this::decode, "key 1 runs past");

    record(OP_READ, 0, 0, 0);
    slot.putShort(args, (short) 2);
    slot.putByte(args + 2, (byte) 0xC3);
    slot.putByte(args + 3, (byte) 0x28);
    args += 4;
    assertBad(this::decode, "not UTF-8");

    record(OP_WRITE, 0, 0, 0);
    string("/t/w");
    slot.putInt(POLICY_LEN_AT, 100);
    assertBad(this::decode, "policy_len");
  }

  @Test
  void shouldRefuseCountsOverTheLimitsOrTheArguments() {
    record(OP_KV_GET, 0, MAX_KEYS + 1, 0);
    string("t");
    slot.putInt(RESULTS_OFF_AT, 64);
    assertBad(this::decode, "0..4096 keys");

    record(OP_KV_REMOVE, 0, -1, 0);
    assertBad(this::decode, "keys");

    record(OP_READ, 0, 3, 0);
    string("/t/f");
    sge(1, 0, 1);
    assertBad(this::decode, "3 SGEs do not fit");

    record(OP_READ, 0, Integer.MAX_VALUE, 0);
    string("/t/f");
    assertBad(this::decode, "SGEs do not fit");
  }

  @Test
  void shouldRefuseAResultAreaOutsideTheSlot() {
    record(OP_KV_EXISTS, 0, 1, 0);
    string("t");
    string("k");
    slot.putInt(RESULTS_OFF_AT, SLOT_BYTES - 8);
    assertBad(this::decode, "results_off");
    slot.putInt(RESULTS_OFF_AT, 0);
    assertBad(this::decode, "results_off");
    slot.putInt(RESULTS_OFF_AT, -16);
    assertBad(this::decode, "results_off");
  }

  @Test
  void shouldRefuseInlineSgesOutsideTheSlotAndBufferZero() {
    record(OP_READ, 0, 1, 0);
    string("/t/f");
    sge(INLINE_BUFFER, SLOT_BYTES - 10, 11);
    assertBad(this::decode, "outside the slot");

    record(OP_READ, 0, 1, 0);
    string("/t/f");
    sge(INLINE_BUFFER, Long.MAX_VALUE, 2);
    assertBad(this::decode, "outside the slot");

    record(OP_READ, 0, 1, 0);
    string("/t/f");
    sge(4, -1, 2);
    assertBad(this::decode, "past 2^63");

    record(OP_READ, 0, 1, 0);
    string("/t/f");
    sge(0, 0, 2);
    assertBad(this::decode, "no buffer 0");
  }

  @Test
  void shouldRefuseShortRegistrations() {
    record(OP_REGISTER_GPU, 0, 0, 0);
    args += 64;
    assertBad(this::decode, "device runs past");
    record(OP_REGISTER_HOST, 0, 0, 0);
    string("tfs-x");
    assertBad(this::decode, "size runs past");
    record(OP_UNREGISTER, 0, 0, 0);
    assertBad(this::decode, "no buffer 0");
  }
}
