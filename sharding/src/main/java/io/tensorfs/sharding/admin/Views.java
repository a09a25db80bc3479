package io.tensorfs.sharding.admin;

import java.util.List;

/**
 * The shapes of the admin console's read-only views, field for field as the admin HTTP contract names
 * them (README: "Admin console"); the HTTP edge writes them as JSON. Times are ISO-8601 UTC strings.
 */
public final class Views {
  private Views() {}

  /** {@code GET /v1/admin/cluster}: the Pekko Cluster as this node sees it. */
  public record Cluster(String self, String leader, String version, List<Member> members) {}

  /**
   * A member; {@code upSince} and {@code version} come from the member's own report, null when it did not
   * answer.
   */
  public record Member(String nodeId, String address, String status, List<String> roles, boolean reachable,
      String upSince, String version) {}

  /** {@code GET /v1/admin/sharding}. */
  public record Sharding(List<EntityType> types) {}

  /**
   * One entity type's shards: per node, its shards and the entities they hold.
   *
   * @param imbalance   the most shards on one node over the mean per node (1 when even, 0 with none)
   * @param rebalancing whether a shard moved between nodes since the previous look, or a region failed to
   *                    answer for some of its shards
   */
  public record EntityType(String type, List<Region> regions, int totalShards, int totalEntities, double imbalance,
      boolean rebalancing) {}

  public record Region(String node, String address, int shards, int entities) {}

  /** {@code GET /v1/admin/nodes}. */
  public record Nodes(List<NodeReport> nodes) {}

  /** {@code GET /v1/admin/under-replicated}: every node's book, merged. */
  public record UnderReplicated(List<NodeReport.UnderReplicated> chunks, List<NodeReport.Repair> repairs) {}

  /** {@code GET /v1/admin/hot}. */
  public record Hot(List<HotFile> files) {}

  /**
   * A file read often lately.
   *
   * @param readsPerSecond chunk reads per second, summed over the nodes that read it
   * @param memoryReplicas nodes holding some of its chunks in memory for the others (elastic replicas)
   * @param readers        nodes that read it in the last report interval
   */
  public record HotFile(String path, double readsPerSecond, List<String> memoryReplicas, String policy,
      List<String> readers) {}
}
