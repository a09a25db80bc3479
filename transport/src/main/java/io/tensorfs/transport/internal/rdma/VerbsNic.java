package io.tensorfs.transport.internal.rdma;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An RDMA device port opened through libibverbs: device context, protection domain, the port's LID,
 * active MTU, link layer and GID, the memory regions registered on it. Thread-safe: set-up calls are
 * synchronized; the queue pairs it makes are used by the engine's agent thread.
 */
final class VerbsNic implements Nic {
  private final VerbsLibrary verbs;
  private final String device;
  private final byte port;
  private final int gidIndex;
  private final Pointer context;
  private final Pointer pd;
  private final short lid;
  private final int activeMtu;
  private final boolean ethernet;
  private final byte[] gid = new byte[VerbsLayout.GID_BYTES];
  /** Registered memory regions by the address of the memory. */
  private final Map<Long, Pointer> regions = new HashMap<>();

  private VerbsNic(VerbsLibrary verbs, String device, Pointer context, int port, int gidIndex) {
    this.verbs = verbs;
    this.device = device;
    this.context = context;
    this.port = (byte) port;
    this.gidIndex = gidIndex;
    Runtime runtime = Runtime.getRuntime(verbs);
    Pointer attr = Memory.allocateDirect(runtime, VerbsLayout.PORT_ATTR_BYTES, true);
    if (verbs.ibv_query_port(context, this.port, attr) != 0) throw fail("ibv_query_port " + port);
    if (attr.getInt(VerbsLayout.PORT_ATTR_STATE) != VerbsLayout.PORT_ACTIVE) throw fail("port " + port + " is not active");
    this.lid = attr.getShort(VerbsLayout.PORT_ATTR_LID);
    this.activeMtu = attr.getInt(VerbsLayout.PORT_ATTR_ACTIVE_MTU);
    this.ethernet = attr.getByte(VerbsLayout.PORT_ATTR_LINK_LAYER) == VerbsLayout.LINK_LAYER_ETHERNET;
    Pointer g = Memory.allocateDirect(runtime, VerbsLayout.GID_BYTES, true);
    if (verbs.ibv_query_gid(context, this.port, gidIndex, g) != 0) throw fail("ibv_query_gid " + gidIndex);
    g.get(0, gid, 0, gid.length);
    this.pd = verbs.ibv_alloc_pd(context);
    if (pd == null) throw fail("ibv_alloc_pd");
  }

  /**
   * Opens {@code device} (empty: the first one listed) on {@code port}.
   *
   * @throws IllegalStateException when libibverbs, the device or the port cannot be used; the message says which
   */
  static VerbsNic open(String device, int port, int gidIndex) {
    VerbsLibrary verbs;
    try {
      verbs = LibraryLoader.create(VerbsLibrary.class).failImmediately().load("ibverbs");
    } catch (Throwable e) {
      throw new IllegalStateException("RDMA: libibverbs cannot be loaded: " + e.getMessage(), e);
    }
    IntByReference count = new IntByReference();
    Pointer list = verbs.ibv_get_device_list(count);
    if (list == null) throw new IllegalStateException("RDMA: ibv_get_device_list failed");
    try {
      int pointerBytes = Runtime.getRuntime(verbs).addressSize();
      for (int i = 0; i < count.intValue(); i++) {
        Pointer d = list.getPointer((long) i * pointerBytes);
        String name = verbs.ibv_get_device_name(d);
        if (!device.isEmpty() && !device.equals(name)) continue;
        Pointer context = verbs.ibv_open_device(d);
        if (context == null) throw new IllegalStateException("RDMA: cannot open " + name);
        return new VerbsNic(verbs, name, context, port, gidIndex);
      }
      throw new IllegalStateException("RDMA: no device " + (device.isEmpty() ? "at all" : device) + " among " + count.intValue());
    } finally {
      verbs.ibv_free_device_list(list);
    }
  }

  private IllegalStateException fail(String what) {
    verbs.ibv_close_device(context);
    return new IllegalStateException("RDMA: " + what + " failed on " + device);
  }

  @Override
  public String device() {
    return device;
  }

  @Override
  public short lid() {
    return lid;
  }

  @Override
  public byte[] gid() {
    return gid.clone();
  }

  byte port() {
    return port;
  }

  int gidIndex() {
    return gidIndex;
  }

  int activeMtu() {
    return activeMtu;
  }

  boolean ethernet() {
    return ethernet;
  }

  @Override
  public long lockableBytes() {
    return MemlockLimit.ofThisProcess();
  }

  /**
   * Registers with {@code IBV_ACCESS_LOCAL_WRITE} only: no remote access, as nothing here is read or
   * written one-sided, so peers get no rkey. Local write is asked for even where the device only reads
   * (the page pool sent from): it makes the kernel pin the memory writable, faulting in a private page
   * for every untouched one, so the device reads the same physical pages the CPU later writes. A
   * read-only pin of memory never written could pin the shared zero page instead. Receive rings need it
   * anyway.
   */
  @Override
  public synchronized int register(ByteBuffer memory) {
    if (!memory.isDirect()) throw new IllegalArgumentException("only direct memory can be registered");
    long at = new UnsafeBuffer(memory).addressOffset();
    Pointer address = Pointer.wrap(Runtime.getRuntime(verbs), at);
    Pointer mr = verbs.ibv_reg_mr(pd, address, memory.capacity(), VerbsLayout.ACCESS_LOCAL_WRITE);
    if (mr == null) throw new IllegalStateException("RDMA: ibv_reg_mr of " + memory.capacity() + " bytes failed on " + device);
    regions.put(at, mr);
    return mr.getInt(VerbsLayout.MR_LKEY);
  }

  @Override
  public synchronized void deregister(ByteBuffer memory) {
    Pointer mr = regions.remove(new UnsafeBuffer(memory).addressOffset());
    if (mr != null) verbs.ibv_dereg_mr(mr);
  }

  @Override
  public synchronized QueuePair queuePair(int sendDepth, int receiveDepth) {
    Pointer cq = verbs.ibv_create_cq(context, sendDepth + receiveDepth, null, null, 0);
    if (cq == null) throw new IllegalStateException("RDMA: ibv_create_cq failed on " + device);
    Pointer init = Memory.allocateDirect(Runtime.getRuntime(verbs), VerbsLayout.QP_INIT_ATTR_BYTES, true);
    init.putPointer(VerbsLayout.QP_INIT_SEND_CQ, cq);
    init.putPointer(VerbsLayout.QP_INIT_RECV_CQ, cq);
    init.putInt(VerbsLayout.QP_INIT_MAX_SEND_WR, sendDepth);
    init.putInt(VerbsLayout.QP_INIT_MAX_RECV_WR, receiveDepth);
    init.putInt(VerbsLayout.QP_INIT_MAX_SEND_SGE, VerbsLayout.SEND_SGES);
    init.putInt(VerbsLayout.QP_INIT_MAX_RECV_SGE, 1);
    init.putInt(VerbsLayout.QP_INIT_MAX_INLINE_DATA, 0);
    init.putInt(VerbsLayout.QP_INIT_QP_TYPE, VerbsLayout.QPT_RC);
    init.putInt(VerbsLayout.QP_INIT_SQ_SIG_ALL, 0);
    Pointer qp = verbs.ibv_create_qp(pd, init);
    if (qp == null) {
      verbs.ibv_destroy_cq(cq);
      throw new IllegalStateException("RDMA: ibv_create_qp failed on " + device);
    }
    VerbsQueuePair pair = new VerbsQueuePair(verbs, this, cq, qp);
    try {
      pair.init();
    } catch (IllegalStateException e) {
      pair.close();
      throw e;
    }
    return pair;
  }

  @Override
  public synchronized void close() {
    for (Pointer mr : regions.values()) verbs.ibv_dereg_mr(mr);
    regions.clear();
    verbs.ibv_dealloc_pd(pd);
    verbs.ibv_close_device(context);
  }
}
