package io.tensorfs.transport.internal.rdma;

/**
 * Where the fields this shim writes and reads sit in libibverbs' structs, and the enum values it uses,
 * copied from {@code <infiniband/verbs.h>} (rdma-core 44) for the LP64 ABI of x86-64 and aarch64 Linux:
 * pointers and {@code size_t} are 8 bytes, {@code uint64_t} is 8-aligned, enums are 4-byte ints. Offsets
 * are bytes from the struct's start. {@code VerbsLayoutTest} rebuilds each struct from its C declaration
 * with jnr-ffi's layout rules and checks these numbers. Stateless.
 */
final class VerbsLayout {
  private VerbsLayout() {}

  // struct ibv_context: the device pointer, then struct ibv_context_ops (function pointers) from offset 8.
  static final int CONTEXT_OPS_POLL_CQ = 96;
  static final int CONTEXT_OPS_POST_SEND = 208;
  static final int CONTEXT_OPS_POST_RECV = 216;

  // struct ibv_qp / ibv_cq: the context pointer first; ibv_qp.qp_num.
  static final int QP_CONTEXT = 0;
  static final int QP_NUM = 52;
  static final int CQ_CONTEXT = 0;

  // struct ibv_mr
  static final int MR_LKEY = 36;
  static final int MR_RKEY = 40;

  // struct ibv_qp_init_attr (64 bytes)
  static final int QP_INIT_ATTR_BYTES = 64;
  static final int QP_INIT_SEND_CQ = 8;
  static final int QP_INIT_RECV_CQ = 16;
  static final int QP_INIT_MAX_SEND_WR = 32;
  static final int QP_INIT_MAX_RECV_WR = 36;
  static final int QP_INIT_MAX_SEND_SGE = 40;
  static final int QP_INIT_MAX_RECV_SGE = 44;
  static final int QP_INIT_MAX_INLINE_DATA = 48;
  static final int QP_INIT_QP_TYPE = 52;
  static final int QP_INIT_SQ_SIG_ALL = 56;

  // struct ibv_qp_attr (144 bytes), with its struct ibv_ah_attr ah_attr at 56 (grh first).
  static final int QP_ATTR_BYTES = 144;
  static final int QP_ATTR_STATE = 0;
  static final int QP_ATTR_PATH_MTU = 8;
  static final int QP_ATTR_RQ_PSN = 20;
  static final int QP_ATTR_SQ_PSN = 24;
  static final int QP_ATTR_DEST_QP_NUM = 28;
  static final int QP_ATTR_ACCESS_FLAGS = 32;
  static final int QP_ATTR_AH_GRH_DGID = 56;
  static final int QP_ATTR_AH_GRH_SGID_INDEX = 76;
  static final int QP_ATTR_AH_GRH_HOP_LIMIT = 77;
  static final int QP_ATTR_AH_DLID = 80;
  static final int QP_ATTR_AH_SL = 82;
  static final int QP_ATTR_AH_IS_GLOBAL = 85;
  static final int QP_ATTR_AH_PORT_NUM = 86;
  static final int QP_ATTR_PKEY_INDEX = 120;
  static final int QP_ATTR_MAX_RD_ATOMIC = 126;
  static final int QP_ATTR_MAX_DEST_RD_ATOMIC = 127;
  static final int QP_ATTR_MIN_RNR_TIMER = 128;
  static final int QP_ATTR_PORT_NUM = 129;
  static final int QP_ATTR_TIMEOUT = 130;
  static final int QP_ATTR_RETRY_CNT = 131;
  static final int QP_ATTR_RNR_RETRY = 132;

  // struct ibv_sge (16), ibv_send_wr (128), ibv_recv_wr (32), ibv_wc (48)
  static final int SGE_BYTES = 16;
  static final int SGE_ADDR = 0;
  static final int SGE_LENGTH = 8;
  static final int SGE_LKEY = 12;
  static final int SEND_WR_BYTES = 128;
  /**
   * Scatter/gather entries of one SEND: the frame's header in a ring slot, then its payload where it lies
   * in registered pool memory. Queue pairs are made with this many ({@code max_send_sge}), and the work
   * buffer holds this many {@code ibv_sge} after the send work request.
   */
  static final int SEND_SGES = 2;
  static final int RECV_WR_BYTES = 32;
  static final int WR_ID = 0;
  static final int WR_NEXT = 8;
  static final int WR_SG_LIST = 16;
  static final int WR_NUM_SGE = 24;
  static final int SEND_WR_OPCODE = 28;
  static final int SEND_WR_SEND_FLAGS = 32;
  static final int SEND_WR_IMM_DATA = 36;
  static final int WC_BYTES = 48;
  static final int WC_WR_ID = 0;
  static final int WC_STATUS = 8;
  static final int WC_OPCODE = 12;
  static final int WC_BYTE_LEN = 20;
  static final int WC_IMM_DATA = 24;
  static final int WC_FLAGS = 36;

  // struct ibv_port_attr (52 bytes; allocated larger)
  static final int PORT_ATTR_BYTES = 64;
  static final int PORT_ATTR_STATE = 0;
  static final int PORT_ATTR_ACTIVE_MTU = 8;
  static final int PORT_ATTR_LID = 34;
  static final int PORT_ATTR_LINK_LAYER = 46;
  static final int GID_BYTES = 16;

  // enums and flags
  static final int QPT_RC = 2;
  static final int QPS_INIT = 1;
  static final int QPS_RTR = 2;
  static final int QPS_RTS = 3;
  static final int QP_STATE = 1;
  static final int QP_ACCESS_FLAGS = 8;
  static final int QP_PKEY_INDEX = 16;
  static final int QP_PORT = 32;
  static final int QP_AV = 128;
  static final int QP_PATH_MTU = 256;
  static final int QP_TIMEOUT = 512;
  static final int QP_RETRY_CNT = 1024;
  static final int QP_RNR_RETRY = 2048;
  static final int QP_RQ_PSN = 4096;
  static final int QP_MAX_QP_RD_ATOMIC = 8192;
  static final int QP_MIN_RNR_TIMER = 32768;
  static final int QP_SQ_PSN = 65536;
  static final int QP_MAX_DEST_RD_ATOMIC = 131072;
  static final int QP_DEST_QPN = 1048576;
  static final int WR_SEND = 2;
  static final int WR_SEND_WITH_IMM = 3;
  static final int SEND_SIGNALED = 2;
  static final int WC_SUCCESS = 0;
  static final int WC_OPCODE_RECV = 128;
  static final int WC_WITH_IMM = 2;
  static final int ACCESS_LOCAL_WRITE = 1;
  static final int PORT_ACTIVE = 4;
  static final int LINK_LAYER_ETHERNET = 2;
}
