package io.tensorfs.gateway.local.internal;

import static io.tensorfs.gateway.local.internal.RingLayout.*;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Decodes a slot's request record and arguments. Every length and count is checked against the slot
 * before it is read, so a malformed record is a BAD_REQUEST naming what is wrong and never a read outside
 * the slot. Stateless; called on the agent thread.
 */
public final class SlotDecoder {
  private SlotDecoder() {}

  public static SlotRequest decode(UnsafeBuffer b, int slotAt, int slotBytes) {
    int op = b.getShort(slotAt + OP_AT) & 0xFFFF;
    int flags = b.getShort(slotAt + FLAGS_AT) & 0xFFFF;
    int count = b.getInt(slotAt + COUNT_AT);
    long offset = b.getLong(slotAt + OFFSET_AT);
    int argsLen = b.getInt(slotAt + ARGS_LEN_AT);
    if (argsLen < 0 || argsLen > slotBytes - ARGS_AT) {
      throw bad("args_len " + Integer.toUnsignedString(argsLen) + " is outside the slot's " + (slotBytes - ARGS_AT)
          + " bytes of arguments");
    }
    Cursor c = new Cursor(b, slotAt + ARGS_AT, slotAt + ARGS_AT + argsLen);
    return switch (op) {
      case OP_READ, OP_WRITE -> io(b, slotAt, slotBytes, op == OP_WRITE, flags, count, offset, c);
      case OP_KV_PUT, OP_KV_GET, OP_KV_EXISTS, OP_KV_REMOVE -> kv(b, slotAt, slotBytes, op, count, c);
      case OP_REGISTER_HOST -> new SlotRequest.RegisterHost(c.string("segment name"), c.u64("size"));
      case OP_REGISTER_GPU -> {
        byte[] handle = c.bytes(64, "CUDA IPC handle");
        int device = c.i32("device");
        c.i32("padding");
        yield new SlotRequest.RegisterGpu(handle, device, c.u64("size"));
      }
      case OP_UNREGISTER -> {
        if (offset < 1 || offset > 0xFFFFFFFEL) throw bad("no buffer " + Long.toUnsignedString(offset));
        yield new SlotRequest.Unregister((int) offset);
      }
      case OP_NOP -> new SlotRequest.Nop();
      case OP_DETACH -> new SlotRequest.Detach();
      default -> throw bad("unknown op " + op);
    };
  }

  private static SlotRequest io(UnsafeBuffer b, int slotAt, int slotBytes, boolean write, int flags, int count,
      long offset, Cursor c) {
    int policyLen = b.getInt(slotAt + POLICY_LEN_AT);
    String path = c.string("path");
    if (policyLen < 0 || policyLen > c.left()) {
      throw bad("policy_len " + Integer.toUnsignedString(policyLen) + " runs past the arguments");
    }
    String policy = policyLen == 0 ? "" : c.utf8(policyLen, "policy");
    if (offset < 0) throw bad("offset " + Long.toUnsignedString(offset) + " is too large");
    return new SlotRequest.Io(write, flags, path, policy, offset, sges(c, count, slotBytes));
  }

  private static SlotRequest kv(UnsafeBuffer b, int slotAt, int slotBytes, int op, int count, Cursor c) {
    if (count < 0 || count > MAX_KEYS) throw bad("a KV op takes 0.." + MAX_KEYS + " keys, not " + Integer.toUnsignedString(count));
    int resultsOff = b.getInt(slotAt + RESULTS_OFF_AT);
    if (resultsOff < ARGS_AT || (long) resultsOff + (long) RESULT_BYTES * count > slotBytes) {
      throw bad("results_off " + Integer.toUnsignedString(resultsOff) + " with " + count
          + " results is outside the slot");
    }
    String tenant = c.string("tenant");
    List<String> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) keys.add(c.string("key " + i));
    List<SlotRequest.SgeRef> sges = op == OP_KV_PUT || op == OP_KV_GET ? sges(c, count, slotBytes) : List.of();
    return new SlotRequest.Kv(op, tenant, List.copyOf(keys), sges, resultsOff);
  }

  private static List<SlotRequest.SgeRef> sges(Cursor c, int count, int slotBytes) {
    c.align8();
    if (count < 0 || (long) count * SGE_BYTES > c.left()) {
      throw bad(Integer.toUnsignedString(count) + " SGEs do not fit in the arguments");
    }
    List<SlotRequest.SgeRef> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int id = c.i32("SGE buffer");
      c.i32("SGE padding");
      long offset = c.u64("SGE offset");
      long length = c.u64("SGE length");
      if (offset < 0 || length < 0) throw bad("SGE " + i + ": offset or length past 2^63");
      if (id == INLINE_BUFFER && (offset > slotBytes || length > slotBytes - offset)) {
        throw bad("SGE " + i + ": " + offset + "+" + length + " is outside the slot's " + slotBytes + " bytes");
      }
      if (id == 0) throw bad("SGE " + i + ": no buffer 0 (buffer ids start at 1)");
      out.add(new SlotRequest.SgeRef(id, offset, length));
    }
    return List.copyOf(out);
  }

  /** Reads the argument area front to back, each read checked against its end. */
  private static final class Cursor {
    private final UnsafeBuffer b;
    private final int start;
    private final int end;
    private int at;

    Cursor(UnsafeBuffer b, int start, int end) {
      this.b = b;
      this.start = start;
      this.end = end;
      this.at = start;
    }

    int left() {
      return end - at;
    }

    void need(int n, String what) {
      if (n > end - at) throw bad(what + " runs past the arguments (args_len " + (end - start) + ")");
    }

    String string(String what) {
      need(2, what);
      int n = b.getShort(at) & 0xFFFF;
      at += 2;
      return utf8(n, what);
    }

    String utf8(int n, String what) {
      need(n, what);
      ByteBuffer bytes = ByteBuffer.allocate(n);
      b.getBytes(at, bytes, n);
      bytes.flip();
      at += n;
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
      } catch (CharacterCodingException e) {
        throw bad(what + " is not UTF-8");
      }
    }

    byte[] bytes(int n, String what) {
      need(n, what);
      byte[] out = new byte[n];
      b.getBytes(at, out);
      at += n;
      return out;
    }

    int i32(String what) {
      need(4, what);
      int v = b.getInt(at);
      at += 4;
      return v;
    }

    long u64(String what) {
      need(8, what);
      long v = b.getLong(at);
      at += 8;
      return v;
    }

    void align8() {
      at = start + ((at - start + 7) & ~7);
      if (at > end) at = end;
    }
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
