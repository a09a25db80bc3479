package io.tensorfs.gateway.local.internal;

import java.util.List;

/** One submission, decoded from its slot and checked against the slot's bounds. Immutable. */
public sealed interface SlotRequest {
  /** A scatter/gather element: {@code length} bytes at {@code offset} of a registered buffer or of the slot itself. */
  record SgeRef(int bufferId, long offset, long length) {
    public boolean inline() {
      return bufferId == RingLayout.INLINE_BUFFER;
    }
  }

  /** READ ({@code write} false) or WRITE of {@code path}. */
  record Io(boolean write, int flags, String path, String policy, long offset, List<SgeRef> sges) implements SlotRequest {}

  /** A KV op on {@code keys} of {@code tenant}; {@code sges} one per key for PUT and GET, none otherwise. */
  record Kv(int op, String tenant, List<String> keys, List<SgeRef> sges, int resultsOff) implements SlotRequest {}

  record RegisterHost(String segment, long sizeBytes) implements SlotRequest {}

  record RegisterGpu(byte[] ipcHandle, int device, long sizeBytes) implements SlotRequest {}

  record Unregister(int bufferId) implements SlotRequest {}

  record Nop() implements SlotRequest {}

  record Detach() implements SlotRequest {}
}
