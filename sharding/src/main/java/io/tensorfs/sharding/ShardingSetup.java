package io.tensorfs.sharding;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * Starts Cluster Sharding for the File, Chunk and Dir entities on this node (the Dir entities over the
 * system's {@link DirectoryStores}, which the node fills first). Idempotent.
 */
public final class ShardingSetup {
  private ShardingSetup() {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(FileEntity.ENTITY_TYPE_KEY, ctx -> FileEntity.create(ctx.getEntityId())));
    sharding.init(Entity.of(ChunkEntity.ENTITY_TYPE_KEY, ctx -> ChunkEntity.create(ctx.getEntityId())));
    DirectoryStores directories = DirectoryStores.get(system);
    DirectoryStore store = directories.store();
    sharding.init(Entity.of(DirectoryEntity.ENTITY_TYPE_KEY,
        ctx -> DirectoryEntity.create(ctx.getEntityId(), store, directories.settings())));
  }
}
