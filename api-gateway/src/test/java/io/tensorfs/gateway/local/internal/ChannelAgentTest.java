package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.sharding.auth.Caller;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent over one channel file, its requests run by a stand-in and its clock driven by the test: bad slot
 * indexes, a slot pushed again while in flight, completions that arrive later, and detach when the client
 * closes or its process ends.
 */
class ChannelAgentTest {
  private static final int SLOTS = 4;
  private static final int SLOT_BYTES = 8192;
  private static final long SECOND = 1_000_000_000L;

  @TempDir
  Path dir;
  private Path file;
  private MappedByteBuffer map;
  private Channel channel;
  private ChannelAgent agent;
  private final AtomicLong clock = new AtomicLong();
  private final AtomicBoolean alive = new AtomicBoolean(true);
  private CompletableFuture<Outcome> later = new CompletableFuture<>();
  private int sqTail;

  @BeforeEach
  void attach() throws Exception {
    file = dir.resolve("tfs-ch-1-test");
    try (FileChannel fc = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      map = fc.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes(SLOTS, SLOT_BYTES));
    }
    map.order(ByteOrder.LITTLE_ENDIAN);
    map.putLong(MAGIC_AT, MAGIC).putInt(VERSION_AT, VERSION).putInt(SLOTS_AT, SLOTS).putInt(SLOT_BYTES_AT, SLOT_BYTES);
    byte[] nonce = new byte[16];
    map.put(NONCE_AT, nonce);
    ChannelRing ring = ChannelRing.check(map, nonce);
    // A NOP completes at once with 7; any other request (an UNREGISTER here) waits for the test's 'later'.
    RequestRunner runner = (c, slot, r) -> r instanceof SlotRequest.Nop ? CompletableFuture.completedFuture(Outcome.ok(7)) : later;
    agent = new ChannelAgent(runner, clock::get, pid -> alive.get(), SECOND, SECOND / 10);
    channel = new Channel(1, Caller.UNCHECKED_ADMIN, 4242, file.getFileName().toString(), file, map, ring);
    agent.add(channel, 8);
    agent.doWork();
    assertEquals(NODE_ATTACHED, map.getInt(NODE_STATE_AT));
  }

  private void record(int slot, int op) {
    int at = HEADER_BYTES + slot * SLOT_BYTES;
    map.putShort(at + OP_AT, (short) op);
    map.putInt(at + ARGS_LEN_AT, 0);
    map.putLong(at + OFFSET_AT, op == OP_UNREGISTER ? 5 : 0);
  }

  private void push(int slot) {
    map.putInt(SQ_AT + 4 * (sqTail % SLOTS), slot);
    map.putInt(SQ_TAIL_AT, ++sqTail);
  }

  private int completions() {
    return map.getInt(CQ_TAIL_AT);
  }

  private int cqSlot(int i) {
    return map.getInt(CQ_AT + CQ_ENTRY_BYTES * (i % SLOTS));
  }

  private int cqStatus(int i) {
    return map.getInt(CQ_AT + CQ_ENTRY_BYTES * (i % SLOTS) + 4);
  }

  private long cqValue(int i) {
    return map.getLong(CQ_AT + CQ_ENTRY_BYTES * (i % SLOTS) + 8);
  }

  @Test
  void shouldAnswerASlotIndexOutsideTheRingWithBadRequestAndGoOn() {
    push(SLOTS);
    push(-1);
    record(1, OP_NOP);
    push(1);
    agent.doWork();
    assertEquals(3, completions());
    assertEquals(2, cqStatus(0));
    assertEquals(SLOTS, cqSlot(0));
    assertEquals(2, cqStatus(1));
    assertEquals(1, cqSlot(2));
    assertEquals(0, cqStatus(2));
    assertEquals(7, cqValue(2));
  }

  @Test
  void shouldRefuseASlotPushedAgainWhileItsRequestRunsAndCompleteItLater() {
    record(0, OP_UNREGISTER);
    push(0);
    agent.doWork();
    assertEquals(0, completions(), "the request waits");
    push(0);
    agent.doWork();
    assertEquals(1, completions());
    assertEquals(2, cqStatus(0), "the slot is still the first request's");
    later.complete(Outcome.ok(99));
    agent.doWork();
    assertEquals(2, completions());
    assertEquals(0, cqSlot(1));
    assertEquals(99, cqValue(1));
  }

  @Test
  void shouldDetachAndRemoveTheFileWhenTheClientProcessEnds() {
    record(0, OP_UNREGISTER);
    push(0);
    agent.doWork();
    alive.set(false);
    agent.doWork();
    assertEquals(1, agent.attached(), "not checked again before the interval");
    clock.addAndGet(SECOND);
    agent.doWork();
    assertEquals(0, agent.attached());
    assertTrue(channel.detached());
    assertEquals(NODE_DETACHED, map.getInt(NODE_STATE_AT));
    assertFalse(Files.exists(file), "the file of a client that died is removed");
    later.complete(Outcome.ok(1));
    agent.doWork();
    assertEquals(0, completions(), "the completion of a request in flight is dropped");
  }

  @Test
  void shouldDetachWhenTheClientMarksItselfClosingAndKeepItsFile() {
    map.putInt(CLIENT_STATE_AT, CLIENT_CLOSING);
    agent.doWork();
    assertEquals(0, agent.attached());
    assertEquals(NODE_DETACHED, map.getInt(NODE_STATE_AT));
    assertTrue(Files.exists(file));
  }

  @Test
  void shouldDetachOnDetachAfterCompletingIt() {
    record(2, OP_DETACH);
    push(2);
    agent.doWork();
    assertEquals(1, completions());
    assertEquals(0, cqStatus(0));
    assertEquals(0, agent.attached());
  }
}
