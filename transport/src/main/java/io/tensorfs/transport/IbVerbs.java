package io.tensorfs.transport;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * The few libibverbs functions the RDMA probe binds through jnr-ffi (jnr-ffi maps only public
 * interfaces). Only {@link RdmaDevices} calls it.
 */
public interface IbVerbs {
  /** {@code struct ibv_device **ibv_get_device_list(int *num_devices)}; null on failure. */
  Pointer ibv_get_device_list(IntByReference numDevices);

  /** {@code const char *ibv_get_device_name(struct ibv_device *device)}. */
  String ibv_get_device_name(Pointer device);

  /** {@code void ibv_free_device_list(struct ibv_device **list)}. */
  void ibv_free_device_list(Pointer list);
}
