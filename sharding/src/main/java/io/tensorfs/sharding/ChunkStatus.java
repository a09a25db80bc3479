package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import java.util.List;

/**
 * What the chunk's entity knows: its replicas and their states, and what was committed.
 *
 * @param wantedReplicas replicas the policy asks for; fewer CLEAN ones means under-replicated
 */
public record ChunkStatus(
    ChunkId chunk,
    List<Replica> replicas,
    boolean committed,
    long lengthBytes,
    int crc32c,
    int wantedReplicas)
    implements CborSerializable {

  public ChunkStatus {
    replicas = List.copyOf(replicas);
  }

  public record Replica(ReplicaLocation location, ReplicaState state) implements CborSerializable {}

  public List<ReplicaLocation> clean() {
    return replicas.stream().filter(r -> r.state() == ReplicaState.CLEAN).map(Replica::location).toList();
  }

  public boolean underReplicated() {
    return clean().size() < wantedReplicas;
  }
}
