package io.tensorfs.client.local;

/** The byte layout of a channel file, little-endian: the node's side reads the same offsets. */
final class Layout {
  private Layout() {}

  static final long MAGIC = 0x314C4E4843534654L;
  static final int VERSION = 1;
  static final int HEADER_BYTES = 24576;
  static final int NONCE_AT = 24;
  static final int NONCE_BYTES = 16;
  static final int SQ_TAIL_AT = 64;
  static final int SQ_HEAD_AT = 128;
  static final int CQ_TAIL_AT = 192;
  static final int CQ_HEAD_AT = 256;
  static final int NODE_HEARTBEAT_AT = 320;
  static final int NODE_STATE_AT = 328;
  static final int CLIENT_STATE_AT = 384;
  static final int SQ_AT = 4096;
  static final int CQ_AT = 8192;
  static final int CQ_ENTRY_BYTES = 16;
  static final int NODE_DETACHED = 2;
  static final int CLIENT_OPEN = 1;
  static final int CLIENT_CLOSING = 2;

  static final int ARGS_AT = 64;
  static final int SGE_BYTES = 24;
  static final int RESULT_BYTES = 16;
  static final int ERROR_TEXT_FROM_END = 1024;
  static final int INLINE_BUFFER = 0xFFFFFFFF;
  static final int MAX_KEYS = 4096;

  static final int OP_READ = 1;
  static final int OP_WRITE = 2;
  static final int OP_KV_PUT = 3;
  static final int OP_KV_GET = 4;
  static final int OP_KV_EXISTS = 5;
  static final int OP_KV_REMOVE = 6;
  static final int OP_REGISTER_HOST = 7;
  static final int OP_REGISTER_GPU = 8;
  static final int OP_UNREGISTER = 9;
  static final int OP_NOP = 10;
  static final int OP_DETACH = 11;
}
