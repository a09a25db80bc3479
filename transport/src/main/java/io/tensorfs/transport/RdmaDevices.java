package io.tensorfs.transport;

import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * Which RDMA devices this host has, found through libibverbs: {@link Transports} asks it to choose
 * the wire ({@code kind = rdma} or {@code auto}) and logs what it found.
 */
public final class RdmaDevices {
  private RdmaDevices() {}

  /**
   * What the probe found.
   *
   * @param devices the device names (e.g. {@code mlx5_0}); empty when none can be used
   * @param reason why the list is empty, or a summary when it is not
   */
  public record Probe(List<String> devices, String reason) {
    public Probe {
      devices = List.copyOf(devices);
    }

    public boolean found() {
      return !devices.isEmpty();
    }
  }

  /** Loads libibverbs and lists its devices; never throws. */
  public static Probe probe() {
    IbVerbs verbs;
    try {
      verbs = LibraryLoader.create(IbVerbs.class).failImmediately().load("ibverbs");
    } catch (Throwable e) {
      return new Probe(List.of(), "libibverbs not found");
    }
    try {
      return list(verbs);
    } catch (Throwable e) {
      return new Probe(List.of(), "libibverbs found, listing devices failed: " + e);
    }
  }

  private static Probe list(IbVerbs verbs) {
    IntByReference count = new IntByReference();
    Pointer list = verbs.ibv_get_device_list(count);
    if (list == null) return new Probe(List.of(), "libibverbs found, ibv_get_device_list failed");
    try {
      int n = count.intValue();
      int pointerBytes = Runtime.getRuntime(verbs).addressSize();
      List<String> names = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Pointer device = list.getPointer((long) i * pointerBytes);
        if (device != null) names.add(verbs.ibv_get_device_name(device));
      }
      return new Probe(names, "libibverbs found, " + names.size() + " device" + (names.size() == 1 ? "" : "s"));
    } finally {
      verbs.ibv_free_device_list(list);
    }
  }
}
