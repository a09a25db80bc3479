package io.tensorfs.sharding.admin;

import io.tensorfs.core.CborSerializable;
import java.util.List;

/**
 * What one node says of itself to the admin console (README: "Admin console"), asked over the cluster.
 * Times are ISO-8601 UTC strings, sizes bytes. A node that did not answer in time is listed with only
 * {@code nodeId} (or its address) and {@code error}.
 *
 * @param address     its Pekko Cluster address
 * @param startedAt   when its process started
 * @param stores      its data directories
 * @param gpus        one line per GPU sink (empty without GPUs)
 * @param underReplicated chunks below their policy that this node is the one to repair
 * @param repairs     repairs this node has in flight
 * @param hot         files of {@code cache(min,max)} policy read here in the last report interval
 */
public record NodeReport(
    String nodeId,
    String address,
    String startedAt,
    Long uptimeSeconds,
    String version,
    List<Store> stores,
    Cache cache,
    List<String> gpus,
    Transport transport,
    List<UnderReplicated> underReplicated,
    List<Repair> repairs,
    List<HotRead> hot,
    String error) implements CborSerializable {

  /** A node that did not answer: what is known of it, and why. */
  public static NodeReport unanswered(String nodeId, String address, String error) {
    return new NodeReport(nodeId, address, null, null, null, List.of(), null, List.of(), null, List.of(), List.of(),
        List.of(), error);
  }

  /** One data directory: its file system's size, what is used and free there, and whether it is writable. */
  public record Store(String id, String path, long capacityBytes, long usedBytes, long freeBytes, boolean healthy) {}

  /** The memory cache; {@code hitRatio} is hits over hits and misses since start (0 before any). */
  public record Cache(long capacityBytes, long usedBytes, long pinnedBytes, long dirtyBytes, int files, long hits,
      long misses, double hitRatio, String memoryKind) {}

  /** The chunk transport: its kind, its endpoint, the peers it knows, and the bytes it moved since start. */
  public record Transport(String kind, String endpoint, List<String> peers, long bytesSent, long bytesReceived) {}

  /** A chunk below its policy; {@code states} holds each replica as {@code node/store STATE}. */
  public record UnderReplicated(String path, String chunk, int replicas, int wanted, List<String> states,
      String node) {}

  /** A repair in flight on {@code from}, copying {@code chunk} to {@code targets}. */
  public record Repair(String path, String chunk, String from, List<String> targets, String since) {}

  /** A file read here: its chunk reads per second over the last report interval, and the chunks read. */
  public record HotRead(String path, double readsPerSecond, List<String> chunks) {}
}
