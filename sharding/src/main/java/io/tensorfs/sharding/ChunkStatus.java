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
 * @param memory         the in-memory replicas of a {@code cache(min,max)} chunk ({@link Memory#NONE} otherwise)
 */
public record ChunkStatus(
    ChunkId chunk,
    List<Replica> replicas,
    boolean committed,
    long lengthBytes,
    int crc32c,
    int wantedReplicas,
    Memory memory)
    implements CborSerializable {

  public ChunkStatus {
    replicas = List.copyOf(replicas);
  }

  public ChunkStatus(ChunkId chunk, List<Replica> replicas, boolean committed, long lengthBytes, int crc32c,
      int wantedReplicas) {
    this(chunk, replicas, committed, lengthBytes, crc32c, wantedReplicas, Memory.NONE);
  }

  /**
   * Elastic in-memory replicas: the nodes holding the chunk in memory for its readers now, how many the
   * read demand calls for, and that demand (reads per second, summed over the nodes).
   */
  public record Memory(List<String> nodes, int wanted, double readsPerSecond) implements CborSerializable {
    public static final Memory NONE = new Memory(List.of(), 0, 0);

    public Memory {
      nodes = List.copyOf(nodes);
    }
  }

  public record Replica(ReplicaLocation location, ReplicaState state) implements CborSerializable {}

  public List<ReplicaLocation> clean() {
    return replicas.stream().filter(r -> r.state() == ReplicaState.CLEAN).map(Replica::location).toList();
  }

  /** The replicas whose bytes failed their checksum, not yet re-created. */
  public List<ReplicaLocation> corrupt() {
    return replicas.stream().filter(r -> r.state() == ReplicaState.CORRUPT).map(Replica::location).toList();
  }

  public boolean underReplicated() {
    return clean().size() < wantedReplicas;
  }
}
