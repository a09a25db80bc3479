package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The node's side of one channel's rings over the mapped file: takes slot indexes from the submission
 * ring and pushes completions into the completion ring, with the ordering the clients rely on (the
 * submission tail read volatile before its entries; a completion written before its tail is stored
 * ordered). Owned by the agent thread; only {@link #check} runs elsewhere, before the channel is handed over.
 */
public final class ChannelRing {
  private final UnsafeBuffer buffer;
  private final int slots;
  private final int slotBytes;
  private final int mask;
  private int sqHead;
  private int cqTail;

  private ChannelRing(UnsafeBuffer buffer, int slots, int slotBytes) {
    this.buffer = buffer;
    this.slots = slots;
    this.slotBytes = slotBytes;
    this.mask = slots - 1;
    this.sqHead = buffer.getIntVolatile(SQ_HEAD_AT);
    this.cqTail = buffer.getIntVolatile(CQ_TAIL_AT);
  }

  /**
   * The ring over {@code mapped} (the whole file), once its header holds the magic, the version, sizes that
   * agree with each other and with the file, and {@code nonce}; BAD_REQUEST naming what does not.
   */
  public static ChannelRing check(ByteBuffer mapped, byte[] nonce) {
    UnsafeBuffer b = new UnsafeBuffer(mapped);
    if (b.capacity() < HEADER_BYTES) throw bad("the channel file is " + b.capacity() + " bytes, shorter than its header");
    if (b.getLong(MAGIC_AT) != MAGIC) throw bad("the channel file does not start with the magic TFSCHNL1");
    if (b.getInt(VERSION_AT) != VERSION) throw bad("channel layout version " + b.getInt(VERSION_AT) + " (this node speaks 1)");
    int slots = b.getInt(SLOTS_AT);
    int slotBytes = b.getInt(SLOT_BYTES_AT);
    if (slots < 1 || slots > MAX_SLOTS || Integer.bitCount(slots) != 1) {
      throw bad("slots must be a power of two from 1 to " + MAX_SLOTS + ", not " + Integer.toUnsignedString(slots));
    }
    if (slotBytes < MIN_SLOT_BYTES || slotBytes > MAX_SLOT_BYTES || slotBytes % 4096 != 0) {
      throw bad("slot_bytes must be a multiple of 4096 from 8 KiB to 1 MiB, not " + Integer.toUnsignedString(slotBytes));
    }
    if (b.capacity() != fileBytes(slots, slotBytes)) {
      throw bad("the channel file is " + b.capacity() + " bytes; " + slots + " slots of " + slotBytes + " need "
          + fileBytes(slots, slotBytes));
    }
    if (nonce == null || nonce.length != NONCE_BYTES) throw bad("the nonce is " + NONCE_BYTES + " bytes");
    byte[] seen = new byte[NONCE_BYTES];
    b.getBytes(NONCE_AT, seen);
    if (!MessageDigest.isEqual(seen, nonce)) throw bad("the nonce does not match the channel file's");
    return new ChannelRing(b, slots, slotBytes);
  }

  public UnsafeBuffer buffer() {
    return buffer;
  }

  public int slots() {
    return slots;
  }

  public int slotBytes() {
    return slotBytes;
  }

  /** Where slot {@code k} starts in the file. */
  public int slotAt(int k) {
    return HEADER_BYTES + k * slotBytes;
  }

  /** Submissions pushed and not yet taken (the client's count, as it says; at most a ring's worth is taken per turn). */
  public int pending() {
    return buffer.getIntVolatile(SQ_TAIL_AT) - sqHead;
  }

  /** Takes the next submission's slot index (possibly out of range: the caller checks it). */
  public int take() {
    int slot = buffer.getInt(SQ_AT + 4 * (sqHead & mask));
    sqHead++;
    buffer.putIntOrdered(SQ_HEAD_AT, sqHead);
    return slot;
  }

  /** Pushes a completion; the entry is written before the tail that makes it visible. */
  public void complete(int slot, int status, long value) {
    int at = CQ_AT + CQ_ENTRY_BYTES * (cqTail & mask);
    buffer.putInt(at, slot);
    buffer.putInt(at + 4, status);
    buffer.putLong(at + 8, value);
    cqTail++;
    buffer.putIntOrdered(CQ_TAIL_AT, cqTail);
  }

  /** Writes a failed request's message at the end of its slot (cut to the room there, at a character boundary). */
  public void errorText(int slot, String message) {
    byte[] utf8 = (message == null ? "" : message).getBytes(StandardCharsets.UTF_8);
    int n = Math.min(utf8.length, MAX_ERROR_TEXT_BYTES);
    while (n > 0 && n < utf8.length && (utf8[n] & 0xC0) == 0x80) n--;
    int at = slotAt(slot) + slotBytes - ERROR_TEXT_FROM_END;
    buffer.putShort(at, (short) n);
    buffer.putBytes(at + 2, utf8, 0, n);
  }

  public void heartbeat(long epochMs) {
    buffer.putLongOrdered(NODE_HEARTBEAT_AT, epochMs);
  }

  public void nodeState(int state) {
    buffer.putIntOrdered(NODE_STATE_AT, state);
  }

  public int clientState() {
    return buffer.getIntVolatile(CLIENT_STATE_AT);
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
