package io.tensorfs.transport.internal.rdma;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;

/**
 * The functions libibverbs exports that the RDMA wire binds through jnr-ffi (jnr-ffi maps only public
 * interfaces; only {@link VerbsNic} calls it). {@code ibv_post_send}, {@code ibv_post_recv} and
 * {@code ibv_poll_cq} are not here: verbs.h defines them {@code static inline}, calling through the
 * device context's ops table, so {@link VerbsQueuePair} calls those function pointers itself.
 */
public interface VerbsLibrary {
  Pointer ibv_get_device_list(IntByReference numDevices);

  String ibv_get_device_name(Pointer device);

  void ibv_free_device_list(Pointer list);

  Pointer ibv_open_device(Pointer device);

  int ibv_close_device(Pointer context);

  /** The exported one fills the leading (compat) fields of {@code struct ibv_port_attr}. */
  int ibv_query_port(Pointer context, byte portNum, Pointer portAttr);

  int ibv_query_gid(Pointer context, byte portNum, int index, Pointer gid);

  Pointer ibv_alloc_pd(Pointer context);

  int ibv_dealloc_pd(Pointer pd);

  Pointer ibv_reg_mr(Pointer pd, Pointer address, @size_t long length, int access);

  int ibv_dereg_mr(Pointer mr);

  Pointer ibv_create_cq(Pointer context, int cqe, Pointer cqContext, Pointer channel, int compVector);

  int ibv_destroy_cq(Pointer cq);

  Pointer ibv_create_qp(Pointer pd, Pointer initAttr);

  int ibv_modify_qp(Pointer qp, Pointer attr, int attrMask);

  int ibv_destroy_qp(Pointer qp);
}
