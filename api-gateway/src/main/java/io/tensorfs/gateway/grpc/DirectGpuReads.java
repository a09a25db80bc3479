package io.tensorfs.gateway.grpc;

import io.tensorfs.gpu.DeviceFileReads;
import io.tensorfs.store.ChunkStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What preadv with {@code FLAG_CUFILE} reads through: this node's chunk stores, whose replica files it
 * reads, and the GPU sinks' cuFile reads into clients' buffers ({@code GpuSinks.fileReads()}). Immutable.
 */
public final class DirectGpuReads {
  private final DeviceFileReads reads;
  private final Map<String, ChunkStore> stores;

  public DirectGpuReads(DeviceFileReads reads, List<ChunkStore> localStores) {
    this.reads = reads;
    Map<String, ChunkStore> byId = new LinkedHashMap<>();
    for (ChunkStore s : localStores) byId.put(s.id(), s);
    this.stores = Map.copyOf(byId);
  }

  /** Reads that always answer UNAVAILABLE with {@code reason}. */
  public static DirectGpuReads none(String reason) {
    return new DirectGpuReads(DeviceFileReads.unavailable(reason), List.of());
  }

  public boolean available() {
    return reads.available();
  }

  public String describe() {
    return reads.describe();
  }

  public DeviceFileReads reads() {
    return reads;
  }

  /** The local store of {@code id}, if this node has it. */
  public Optional<ChunkStore> store(String id) {
    return Optional.ofNullable(stores.get(id));
  }
}
