package io.tensorfs.gateway.local.internal;

/**
 * The byte layout of a local channel's shared file, little-endian, as clients write it: the header with
 * the ring counters, the submission ring of slot indexes, the completion ring, then the slots.
 */
public final class RingLayout {
  private RingLayout() {}

  /** "TFSCHNL1" read as a little-endian u64. */
  public static final long MAGIC = 0x314C4E4843534654L;
  public static final int VERSION = 1;
  public static final int HEADER_BYTES = 24576;
  public static final int MAX_SLOTS = 1024;
  public static final int MIN_SLOT_BYTES = 8192;
  public static final int MAX_SLOT_BYTES = 1 << 20;
  public static final int NONCE_BYTES = 16;

  public static final int MAGIC_AT = 0;
  public static final int VERSION_AT = 8;
  public static final int SLOTS_AT = 12;
  public static final int SLOT_BYTES_AT = 16;
  public static final int NONCE_AT = 24;
  public static final int SQ_TAIL_AT = 64;
  public static final int SQ_HEAD_AT = 128;
  public static final int CQ_TAIL_AT = 192;
  public static final int CQ_HEAD_AT = 256;
  public static final int NODE_HEARTBEAT_AT = 320;
  public static final int NODE_STATE_AT = 328;
  public static final int CLIENT_STATE_AT = 384;
  public static final int SQ_AT = 4096;
  public static final int CQ_AT = 8192;
  public static final int CQ_ENTRY_BYTES = 16;

  public static final int NODE_ATTACHED = 1;
  public static final int NODE_DETACHED = 2;
  public static final int CLIENT_CLOSING = 2;

  // The slot: a 64-byte request record, then its argument area.
  public static final int OP_AT = 0;
  public static final int FLAGS_AT = 2;
  public static final int COUNT_AT = 4;
  public static final int USER_AT = 8;
  public static final int OFFSET_AT = 16;
  public static final int ARGS_LEN_AT = 24;
  public static final int POLICY_LEN_AT = 28;
  public static final int RESULTS_OFF_AT = 32;
  public static final int ARGS_AT = 64;
  public static final int SGE_BYTES = 24;
  public static final int RESULT_BYTES = 16;
  /** The error text of a failed request: u16 length and UTF-8, this far before the slot's end. */
  public static final int ERROR_TEXT_FROM_END = 1024;
  public static final int MAX_ERROR_TEXT_BYTES = 1022;
  public static final int INLINE_BUFFER = 0xFFFFFFFF;
  public static final int MAX_KEYS = 4096;

  public static final int OP_READ = 1;
  public static final int OP_WRITE = 2;
  public static final int OP_KV_PUT = 3;
  public static final int OP_KV_GET = 4;
  public static final int OP_KV_EXISTS = 5;
  public static final int OP_KV_REMOVE = 6;
  public static final int OP_REGISTER_HOST = 7;
  public static final int OP_REGISTER_GPU = 8;
  public static final int OP_UNREGISTER = 9;
  public static final int OP_NOP = 10;
  public static final int OP_DETACH = 11;

  /** The file's size for a ring of {@code slots} slots of {@code slotBytes} each. */
  public static long fileBytes(int slots, int slotBytes) {
    return HEADER_BYTES + (long) slots * slotBytes;
  }
}
