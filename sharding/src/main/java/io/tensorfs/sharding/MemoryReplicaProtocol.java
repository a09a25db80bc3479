package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsPath;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a chunk's entity says to the node-side agent of elastic in-memory replicas
 * ({@code elastic.MemoryReplicaAgent}, one per node): hold a chunk in memory for other nodes' readers,
 * or let it go. It lives beside the entities so that they do not depend on the agent, which depends on
 * them (it answers with {@link ChunkEntity.HoldResult}).
 */
public final class MemoryReplicaProtocol {
  private MemoryReplicaProtocol() {}

  /** A message to a node's memory-replica agent; the agent's own private messages implement it too. */
  public interface Command {}

  /**
   * Hold {@code chunk} in memory for one more lease, loading it first from {@code sources} (its
   * durable replicas) when it is not resident. Every Hold is answered with a {@link ChunkEntity.HoldResult}.
   */
  public record Hold(ChunkId chunk, long lengthBytes, TfsPath owner, List<ReplicaLocation> sources,
      ActorRef<ChunkEntity.Command> replyTo) implements Command, CborSerializable {}

  /** Stop holding {@code chunk}; its pages stay cached until the cache needs them. */
  public record Release(ChunkId chunk) implements Command, CborSerializable {}

  /** How many chunks the node holds for their entities (for tests and the console). */
  public record GetHeld(ActorRef<Held> replyTo) implements Command, CborSerializable {}

  public record Held(String nodeId, List<ChunkId> chunks) implements CborSerializable {}
}
