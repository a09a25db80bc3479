package io.tensorfs.client.local;

import static io.tensorfs.client.local.Layout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One slot of a channel while a request owns it: the request record and its arguments are written front to
 * back, inline data is carved from the back (before the error text), and after the completion the
 * per-key results, the inline data and the error text are read here. Owned by one thread at a time: the
 * submitter until it is pushed, then the thread that reaps its completion.
 */
public final class Slot {
  final int index;
  private final ByteBuffer bytes;
  private int args;
  private int inlineTop;
  private int resultsOff;
  int status;
  long value;

  Slot(int index, ByteBuffer bytes) {
    this.index = index;
    this.bytes = bytes.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Starts a request: the record's fields, and an empty argument area. */
  public Slot begin(int op, int flags, int count, long offset) {
    for (int i = 0; i < ARGS_AT; i += 8) bytes.putLong(i, 0);
    bytes.putShort(0, (short) op);
    bytes.putShort(2, (short) flags);
    bytes.putInt(4, count);
    bytes.putLong(16, offset);
    args = ARGS_AT;
    inlineTop = bytes.capacity() - ERROR_TEXT_FROM_END;
    resultsOff = 0;
    return this;
  }

  /** Appends a u16-length UTF-8 string; false when it does not fit. */
  public boolean string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > 0xFFFF) throw new IllegalArgumentException("a string of the channel is at most 65535 bytes");
    if (!room(2 + utf8.length)) return false;
    bytes.putShort(args, (short) utf8.length);
    bytes.put(args + 2, utf8);
    args += 2 + utf8.length;
    return true;
  }

  /** Appends raw bytes. */
  public boolean raw(byte[] b) {
    if (!room(b.length)) return false;
    bytes.put(args, b);
    args += b.length;
    return true;
  }

  public boolean u32(int v) {
    if (!room(4)) return false;
    bytes.putInt(args, v);
    args += 4;
    return true;
  }

  public boolean u64(long v) {
    if (!room(8)) return false;
    bytes.putLong(args, v);
    args += 8;
    return true;
  }

  /** Pads the arguments to a multiple of 8 (SGEs and results start aligned). */
  public boolean align8() {
    int to = (args + 7) & ~7;
    if (to > inlineTop) return false;
    args = to;
    return true;
  }

  public boolean sge(int bufferId, long offset, long length) {
    if (!room(SGE_BYTES)) return false;
    bytes.putInt(args, bufferId);
    bytes.putInt(args + 4, 0);
    bytes.putLong(args + 8, offset);
    bytes.putLong(args + 16, length);
    args += SGE_BYTES;
    return true;
  }

  /** Writes an SGE at {@code at}, in room taken earlier with {@link #skip}. */
  public void sgeAt(int at, int bufferId, long offset, long length) {
    bytes.putInt(at, bufferId);
    bytes.putInt(at + 4, 0);
    bytes.putLong(at + 8, offset);
    bytes.putLong(at + 16, length);
  }

  /** Takes {@code n} argument bytes to fill later; returns where they start, or -1 when they do not fit. */
  public int skip(int n) {
    if (!room(n)) return -1;
    int at = args;
    args += n;
    return at;
  }

  /** Room for the per-key results of {@code count} keys, after the arguments; false when it does not fit. */
  public boolean results(int count) {
    if (!align8() || !room(RESULT_BYTES * count)) return false;
    resultsOff = args;
    args += RESULT_BYTES * count;
    return true;
  }

  /** Where {@code length} bytes of inline data go in the slot (carved from the back), or -1 when they do not fit. */
  public int inline(long length) {
    if (length > inlineTop - args) return -1;
    int at = (int) ((inlineTop - length) & ~63L);
    if (at < args) return -1;
    inlineTop = at;
    return at;
  }

  /** How many more argument bytes fit before the inline data. */
  public int room() {
    return inlineTop - args;
  }

  private boolean room(int n) {
    return n <= inlineTop - args;
  }

  /** Ends the request: records args_len, policy_len and results_off. */
  public void finish(int policyLen) {
    bytes.putInt(24, args - ARGS_AT);
    bytes.putInt(28, policyLen);
    bytes.putInt(32, resultsOff);
  }

  /** The slot's own bytes {@code [at, at+length)}, as a buffer of its own. */
  public ByteBuffer view(int at, int length) {
    return bytes.slice(at, length);
  }

  public int resultStatus(int key) {
    return bytes.getInt(resultsOff + RESULT_BYTES * key);
  }

  public long resultLength(int key) {
    return bytes.getLong(resultsOff + RESULT_BYTES * key + 8);
  }

  /** The message of a failed request. */
  public String errorText() {
    int at = bytes.capacity() - ERROR_TEXT_FROM_END;
    int n = Math.min(bytes.getShort(at) & 0xFFFF, ERROR_TEXT_FROM_END - 2);
    byte[] utf8 = new byte[n];
    bytes.get(at + 2, utf8);
    return new String(utf8, StandardCharsets.UTF_8);
  }

  /** The completion's status (the proto Status number). */
  public int status() {
    return status;
  }

  /** The completion's value. */
  public long value() {
    return value;
  }
}
