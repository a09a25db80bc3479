package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VerbsLayout} against verbs.h, two ways: the structs rebuilt from their C declarations with
 * jnr-ffi's layout rules (always runs), and, where a C compiler and {@code <infiniband/verbs.h>} are
 * installed ({@code libibverbs-dev}), the header itself compiled and asked (skipped elsewhere).
 */
class VerbsLayoutTest {
  /** Every constant with the C expression that must equal it. */
  static Map<String, Integer> expected() {
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put("offsetof(struct ibv_context, ops.poll_cq)", VerbsLayout.CONTEXT_OPS_POLL_CQ);
    m.put("offsetof(struct ibv_context, ops.post_send)", VerbsLayout.CONTEXT_OPS_POST_SEND);
    m.put("offsetof(struct ibv_context, ops.post_recv)", VerbsLayout.CONTEXT_OPS_POST_RECV);
    m.put("offsetof(struct ibv_qp, context)", VerbsLayout.QP_CONTEXT);
    m.put("offsetof(struct ibv_qp, qp_num)", VerbsLayout.QP_NUM);
    m.put("offsetof(struct ibv_cq, context)", VerbsLayout.CQ_CONTEXT);
    m.put("offsetof(struct ibv_mr, lkey)", VerbsLayout.MR_LKEY);
    m.put("offsetof(struct ibv_mr, rkey)", VerbsLayout.MR_RKEY);
    m.put("sizeof(struct ibv_qp_init_attr)", VerbsLayout.QP_INIT_ATTR_BYTES);
    m.put("offsetof(struct ibv_qp_init_attr, send_cq)", VerbsLayout.QP_INIT_SEND_CQ);
    m.put("offsetof(struct ibv_qp_init_attr, recv_cq)", VerbsLayout.QP_INIT_RECV_CQ);
    m.put("offsetof(struct ibv_qp_init_attr, cap.max_send_wr)", VerbsLayout.QP_INIT_MAX_SEND_WR);
    m.put("offsetof(struct ibv_qp_init_attr, cap.max_recv_wr)", VerbsLayout.QP_INIT_MAX_RECV_WR);
    m.put("offsetof(struct ibv_qp_init_attr, cap.max_send_sge)", VerbsLayout.QP_INIT_MAX_SEND_SGE);
    m.put("offsetof(struct ibv_qp_init_attr, cap.max_recv_sge)", VerbsLayout.QP_INIT_MAX_RECV_SGE);
    m.put("offsetof(struct ibv_qp_init_attr, cap.max_inline_data)", VerbsLayout.QP_INIT_MAX_INLINE_DATA);
    m.put("offsetof(struct ibv_qp_init_attr, qp_type)", VerbsLayout.QP_INIT_QP_TYPE);
    m.put("offsetof(struct ibv_qp_init_attr, sq_sig_all)", VerbsLayout.QP_INIT_SQ_SIG_ALL);
    m.put("sizeof(struct ibv_qp_attr)", VerbsLayout.QP_ATTR_BYTES);
    m.put("offsetof(struct ibv_qp_attr, qp_state)", VerbsLayout.QP_ATTR_STATE);
    m.put("offsetof(struct ibv_qp_attr, path_mtu)", VerbsLayout.QP_ATTR_PATH_MTU);
    m.put("offsetof(struct ibv_qp_attr, rq_psn)", VerbsLayout.QP_ATTR_RQ_PSN);
    m.put("offsetof(struct ibv_qp_attr, sq_psn)", VerbsLayout.QP_ATTR_SQ_PSN);
    m.put("offsetof(struct ibv_qp_attr, dest_qp_num)", VerbsLayout.QP_ATTR_DEST_QP_NUM);
    m.put("offsetof(struct ibv_qp_attr, qp_access_flags)", VerbsLayout.QP_ATTR_ACCESS_FLAGS);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.grh.dgid)", VerbsLayout.QP_ATTR_AH_GRH_DGID);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.grh.sgid_index)", VerbsLayout.QP_ATTR_AH_GRH_SGID_INDEX);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.grh.hop_limit)", VerbsLayout.QP_ATTR_AH_GRH_HOP_LIMIT);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.dlid)", VerbsLayout.QP_ATTR_AH_DLID);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.sl)", VerbsLayout.QP_ATTR_AH_SL);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.is_global)", VerbsLayout.QP_ATTR_AH_IS_GLOBAL);
    m.put("offsetof(struct ibv_qp_attr, ah_attr.port_num)", VerbsLayout.QP_ATTR_AH_PORT_NUM);
    m.put("offsetof(struct ibv_qp_attr, pkey_index)", VerbsLayout.QP_ATTR_PKEY_INDEX);
    m.put("offsetof(struct ibv_qp_attr, max_rd_atomic)", VerbsLayout.QP_ATTR_MAX_RD_ATOMIC);
    m.put("offsetof(struct ibv_qp_attr, max_dest_rd_atomic)", VerbsLayout.QP_ATTR_MAX_DEST_RD_ATOMIC);
    m.put("offsetof(struct ibv_qp_attr, min_rnr_timer)", VerbsLayout.QP_ATTR_MIN_RNR_TIMER);
    m.put("offsetof(struct ibv_qp_attr, port_num)", VerbsLayout.QP_ATTR_PORT_NUM);
    m.put("offsetof(struct ibv_qp_attr, timeout)", VerbsLayout.QP_ATTR_TIMEOUT);
    m.put("offsetof(struct ibv_qp_attr, retry_cnt)", VerbsLayout.QP_ATTR_RETRY_CNT);
    m.put("offsetof(struct ibv_qp_attr, rnr_retry)", VerbsLayout.QP_ATTR_RNR_RETRY);
    m.put("sizeof(struct ibv_sge)", VerbsLayout.SGE_BYTES);
    m.put("offsetof(struct ibv_sge, addr)", VerbsLayout.SGE_ADDR);
    m.put("offsetof(struct ibv_sge, length)", VerbsLayout.SGE_LENGTH);
    m.put("offsetof(struct ibv_sge, lkey)", VerbsLayout.SGE_LKEY);
    m.put("sizeof(struct ibv_send_wr)", VerbsLayout.SEND_WR_BYTES);
    m.put("sizeof(struct ibv_recv_wr)", VerbsLayout.RECV_WR_BYTES);
    m.put("offsetof(struct ibv_send_wr, wr_id)", VerbsLayout.WR_ID);
    m.put("offsetof(struct ibv_send_wr, next)", VerbsLayout.WR_NEXT);
    m.put("offsetof(struct ibv_send_wr, sg_list)", VerbsLayout.WR_SG_LIST);
    m.put("offsetof(struct ibv_send_wr, num_sge)", VerbsLayout.WR_NUM_SGE);
    m.put("offsetof(struct ibv_recv_wr, wr_id)", VerbsLayout.WR_ID);
    m.put("offsetof(struct ibv_recv_wr, next)", VerbsLayout.WR_NEXT);
    m.put("offsetof(struct ibv_recv_wr, sg_list)", VerbsLayout.WR_SG_LIST);
    m.put("offsetof(struct ibv_recv_wr, num_sge)", VerbsLayout.WR_NUM_SGE);
    m.put("offsetof(struct ibv_send_wr, opcode)", VerbsLayout.SEND_WR_OPCODE);
    m.put("offsetof(struct ibv_send_wr, send_flags)", VerbsLayout.SEND_WR_SEND_FLAGS);
    m.put("offsetof(struct ibv_send_wr, imm_data)", VerbsLayout.SEND_WR_IMM_DATA);
    m.put("sizeof(struct ibv_wc)", VerbsLayout.WC_BYTES);
    m.put("offsetof(struct ibv_wc, wr_id)", VerbsLayout.WC_WR_ID);
    m.put("offsetof(struct ibv_wc, status)", VerbsLayout.WC_STATUS);
    m.put("offsetof(struct ibv_wc, opcode)", VerbsLayout.WC_OPCODE);
    m.put("offsetof(struct ibv_wc, byte_len)", VerbsLayout.WC_BYTE_LEN);
    m.put("offsetof(struct ibv_wc, imm_data)", VerbsLayout.WC_IMM_DATA);
    m.put("offsetof(struct ibv_wc, wc_flags)", VerbsLayout.WC_FLAGS);
    m.put("offsetof(struct ibv_port_attr, state)", VerbsLayout.PORT_ATTR_STATE);
    m.put("offsetof(struct ibv_port_attr, active_mtu)", VerbsLayout.PORT_ATTR_ACTIVE_MTU);
    m.put("offsetof(struct ibv_port_attr, lid)", VerbsLayout.PORT_ATTR_LID);
    m.put("offsetof(struct ibv_port_attr, link_layer)", VerbsLayout.PORT_ATTR_LINK_LAYER);
    m.put("sizeof(union ibv_gid)", VerbsLayout.GID_BYTES);
    m.put("IBV_QPT_RC", VerbsLayout.QPT_RC);
    m.put("IBV_QPS_INIT", VerbsLayout.QPS_INIT);
    m.put("IBV_QPS_RTR", VerbsLayout.QPS_RTR);
    m.put("IBV_QPS_RTS", VerbsLayout.QPS_RTS);
    m.put("IBV_QP_STATE", VerbsLayout.QP_STATE);
    m.put("IBV_QP_ACCESS_FLAGS", VerbsLayout.QP_ACCESS_FLAGS);
    m.put("IBV_QP_PKEY_INDEX", VerbsLayout.QP_PKEY_INDEX);
    m.put("IBV_QP_PORT", VerbsLayout.QP_PORT);
    m.put("IBV_QP_AV", VerbsLayout.QP_AV);
    m.put("IBV_QP_PATH_MTU", VerbsLayout.QP_PATH_MTU);
    m.put("IBV_QP_TIMEOUT", VerbsLayout.QP_TIMEOUT);
    m.put("IBV_QP_RETRY_CNT", VerbsLayout.QP_RETRY_CNT);
    m.put("IBV_QP_RNR_RETRY", VerbsLayout.QP_RNR_RETRY);
    m.put("IBV_QP_RQ_PSN", VerbsLayout.QP_RQ_PSN);
    m.put("IBV_QP_MAX_QP_RD_ATOMIC", VerbsLayout.QP_MAX_QP_RD_ATOMIC);
    m.put("IBV_QP_MIN_RNR_TIMER", VerbsLayout.QP_MIN_RNR_TIMER);
    m.put("IBV_QP_SQ_PSN", VerbsLayout.QP_SQ_PSN);
    m.put("IBV_QP_MAX_DEST_RD_ATOMIC", VerbsLayout.QP_MAX_DEST_RD_ATOMIC);
    m.put("IBV_QP_DEST_QPN", VerbsLayout.QP_DEST_QPN);
    m.put("IBV_WR_SEND", VerbsLayout.WR_SEND);
    m.put("IBV_WR_SEND_WITH_IMM", VerbsLayout.WR_SEND_WITH_IMM);
    m.put("IBV_SEND_SIGNALED", VerbsLayout.SEND_SIGNALED);
    m.put("IBV_WC_SUCCESS", VerbsLayout.WC_SUCCESS);
    m.put("IBV_WC_RECV", VerbsLayout.WC_OPCODE_RECV);
    m.put("IBV_WC_WITH_IMM", VerbsLayout.WC_WITH_IMM);
    m.put("IBV_ACCESS_LOCAL_WRITE", VerbsLayout.ACCESS_LOCAL_WRITE);
    m.put("IBV_PORT_ACTIVE", VerbsLayout.PORT_ACTIVE);
    m.put("IBV_LINK_LAYER_ETHERNET", VerbsLayout.LINK_LAYER_ETHERNET);
    return m;
  }

  @Test
  void shouldMatchTheInstalledHeaderWhenACompilerAndVerbsHAreThere(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(Path.of("/usr/include/infiniband/verbs.h")), "no <infiniband/verbs.h> (libibverbs-dev)");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/cc")), "no C compiler");
    Map<String, Integer> expected = expected();
    StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <infiniband/verbs.h>\nint main(void) {\n");
    for (String expr : expected.keySet()) c.append("  printf(\"%ld\\n\", (long) (").append(expr).append("));\n");
    c.append("  return 0;\n}\n");
    Files.writeString(dir.resolve("layout.c"), c.toString());
    run(dir, "/usr/bin/cc", "-o", "layout", "layout.c");
    run(dir, dir.resolve("layout").toString());
    List<String> printed = Files.readAllLines(dir.resolve("out"));
    List<String> wrong = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      long actual = Long.parseLong(printed.get(i++).trim());
      if (actual != e.getValue()) wrong.add(e.getKey() + " is " + actual + " in the header, " + e.getValue() + " in VerbsLayout");
    }
    assertEquals(List.of(), wrong);
  }

  private static void run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + Files.readString(dir.resolve("out"), StandardCharsets.UTF_8));
    }
  }

  // ---- the same structs from their C declarations, laid out by jnr-ffi ----

  static final Runtime RUNTIME = Runtime.getSystemRuntime();

  /** struct ibv_sge { uint64_t addr; uint32_t length; uint32_t lkey; } */
  static final class Sge extends Struct {
    final Unsigned64 addr = new Unsigned64();
    final Unsigned32 length = new Unsigned32();
    final Unsigned32 lkey = new Unsigned32();

    Sge() {
      super(RUNTIME);
    }
  }

  /** struct ibv_recv_wr { uint64_t wr_id; struct ibv_recv_wr *next; struct ibv_sge *sg_list; int num_sge; } */
  static final class RecvWr extends Struct {
    final Unsigned64 wrId = new Unsigned64();
    final Pointer next = new Pointer();
    final Pointer sgList = new Pointer();
    final Signed32 numSge = new Signed32();

    RecvWr() {
      super(RUNTIME);
    }
  }

  /**
   * struct ibv_wc { uint64_t wr_id; enum status; enum opcode; uint32_t vendor_err; uint32_t byte_len;
   * __be32 imm_data (a union with invalidated_rkey); uint32_t qp_num; uint32_t src_qp; unsigned int wc_flags;
   * uint16_t pkey_index; uint16_t slid; uint8_t sl; uint8_t dlid_path_bits; }
   */
  static final class Wc extends Struct {
    final Unsigned64 wrId = new Unsigned64();
    final Signed32 status = new Signed32();
    final Signed32 opcode = new Signed32();
    final Unsigned32 vendorErr = new Unsigned32();
    final Unsigned32 byteLen = new Unsigned32();
    final Unsigned32 immData = new Unsigned32();
    final Unsigned32 qpNum = new Unsigned32();
    final Unsigned32 srcQp = new Unsigned32();
    final Unsigned32 wcFlags = new Unsigned32();
    final Unsigned16 pkeyIndex = new Unsigned16();
    final Unsigned16 slid = new Unsigned16();
    final Unsigned8 sl = new Unsigned8();
    final Unsigned8 dlidPathBits = new Unsigned8();

    Wc() {
      super(RUNTIME);
    }
  }

  /**
   * struct ibv_qp_init_attr { void *qp_context; struct ibv_cq *send_cq, *recv_cq; struct ibv_srq *srq;
   * struct ibv_qp_cap { uint32_t max_send_wr, max_recv_wr, max_send_sge, max_recv_sge, max_inline_data; } cap;
   * enum ibv_qp_type qp_type; int sq_sig_all; }
   */
  static final class QpInitAttr extends Struct {
    final Pointer qpContext = new Pointer();
    final Pointer sendCq = new Pointer();
    final Pointer recvCq = new Pointer();
    final Pointer srq = new Pointer();
    final Unsigned32 maxSendWr = new Unsigned32();
    final Unsigned32 maxRecvWr = new Unsigned32();
    final Unsigned32 maxSendSge = new Unsigned32();
    final Unsigned32 maxRecvSge = new Unsigned32();
    final Unsigned32 maxInlineData = new Unsigned32();
    final Signed32 qpType = new Signed32();
    final Signed32 sqSigAll = new Signed32();

    QpInitAttr() {
      super(RUNTIME);
    }
  }

  /**
   * struct ibv_send_wr up to its unions: { uint64_t wr_id; struct ibv_send_wr *next; struct ibv_sge *sg_list;
   * int num_sge; enum ibv_wr_opcode opcode; unsigned int send_flags; __be32 imm_data; ... }
   */
  static final class SendWrHead extends Struct {
    final Unsigned64 wrId = new Unsigned64();
    final Pointer next = new Pointer();
    final Pointer sgList = new Pointer();
    final Signed32 numSge = new Signed32();
    final Signed32 opcode = new Signed32();
    final Unsigned32 sendFlags = new Unsigned32();
    final Unsigned32 immData = new Unsigned32();

    SendWrHead() {
      super(RUNTIME);
    }
  }

  /** A C struct's size: jnr-ffi's, padded to the struct's alignment as C pads it for arrays. */
  static int cSize(Struct s) {
    int align = Struct.alignment(s);
    return (Struct.size(s) + align - 1) / align * align;
  }

  @Test
  void shouldMatchTheStructsLaidOutFromTheirCDeclarations() {
    Sge sge = new Sge();
    assertEquals(VerbsLayout.SGE_BYTES, cSize(sge));
    assertEquals(VerbsLayout.SGE_ADDR, sge.addr.offset());
    assertEquals(VerbsLayout.SGE_LENGTH, sge.length.offset());
    assertEquals(VerbsLayout.SGE_LKEY, sge.lkey.offset());

    RecvWr recv = new RecvWr();
    assertEquals(VerbsLayout.RECV_WR_BYTES, cSize(recv));
    assertEquals(VerbsLayout.WR_ID, recv.wrId.offset());
    assertEquals(VerbsLayout.WR_NEXT, recv.next.offset());
    assertEquals(VerbsLayout.WR_SG_LIST, recv.sgList.offset());
    assertEquals(VerbsLayout.WR_NUM_SGE, recv.numSge.offset());

    SendWrHead send = new SendWrHead();
    assertEquals(VerbsLayout.WR_NUM_SGE, send.numSge.offset());
    assertEquals(VerbsLayout.SEND_WR_OPCODE, send.opcode.offset());
    assertEquals(VerbsLayout.SEND_WR_SEND_FLAGS, send.sendFlags.offset());
    assertEquals(VerbsLayout.SEND_WR_IMM_DATA, send.immData.offset());

    Wc wc = new Wc();
    assertEquals(VerbsLayout.WC_BYTES, cSize(wc));
    assertEquals(VerbsLayout.WC_STATUS, wc.status.offset());
    assertEquals(VerbsLayout.WC_OPCODE, wc.opcode.offset());
    assertEquals(VerbsLayout.WC_BYTE_LEN, wc.byteLen.offset());
    assertEquals(VerbsLayout.WC_IMM_DATA, wc.immData.offset());
    assertEquals(VerbsLayout.WC_FLAGS, wc.wcFlags.offset());

    QpInitAttr init = new QpInitAttr();
    assertEquals(VerbsLayout.QP_INIT_ATTR_BYTES, cSize(init));
    assertEquals(VerbsLayout.QP_INIT_SEND_CQ, init.sendCq.offset());
    assertEquals(VerbsLayout.QP_INIT_RECV_CQ, init.recvCq.offset());
    assertEquals(VerbsLayout.QP_INIT_MAX_SEND_WR, init.maxSendWr.offset());
    assertEquals(VerbsLayout.QP_INIT_MAX_RECV_WR, init.maxRecvWr.offset());
    assertEquals(VerbsLayout.QP_INIT_MAX_SEND_SGE, init.maxSendSge.offset());
    assertEquals(VerbsLayout.QP_INIT_MAX_RECV_SGE, init.maxRecvSge.offset());
    assertEquals(VerbsLayout.QP_INIT_MAX_INLINE_DATA, init.maxInlineData.offset());
    assertEquals(VerbsLayout.QP_INIT_QP_TYPE, init.qpType.offset());
    assertEquals(VerbsLayout.QP_INIT_SQ_SIG_ALL, init.sqSigAll.offset());
  }
}
