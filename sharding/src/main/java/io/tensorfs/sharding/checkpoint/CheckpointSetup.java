package io.tensorfs.sharding.checkpoint;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** Starts Cluster Sharding for {@link CheckpointJobEntity} on this node. Idempotent. */
public final class CheckpointSetup {
  private CheckpointSetup() {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(CheckpointJobEntity.ENTITY_TYPE_KEY,
        ctx -> CheckpointJobEntity.create(ctx.getEntityId())));
  }
}
