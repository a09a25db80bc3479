package io.tensorfs.sharding.replication;

import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.store.ChunkStore;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * Store ids to stores, for the cache and the read path: this node's store ids name its stores, and an
 * id made by {@link #remoteId} names the replicas of a chunk on other nodes, read over the transport
 * with fail-over between them. Thread-safe.
 */
public final class ReplicaStores implements Function<String, ChunkStore> {
  private final Function<String, ChunkStore> local;
  private final Peers peers;
  private final Materializer materializer;

  public ReplicaStores(Function<String, ChunkStore> local, Peers peers, Materializer materializer) {
    this.local = local;
    this.peers = peers;
    this.materializer = materializer;
  }

  /** The id under which {@code replicas} (on other nodes, in the order to try them) read as one store. */
  public static String remoteId(List<ReplicaLocation> replicas) {
    return RemoteReplicas.idOf(replicas);
  }

  @Override
  public ChunkStore apply(String id) {
    if (id.startsWith(RemoteReplicas.PREFIX)) return new RemoteReplicas(RemoteReplicas.parse(id), peers, materializer);
    return local.apply(id);
  }
}
