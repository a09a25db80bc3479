package io.tensorfs.sharding.auth;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** Starts Cluster Sharding for {@link TokenEntity} on this node. Idempotent. */
public final class AuthSetup {
  private AuthSetup() {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(TokenEntity.ENTITY_TYPE_KEY, ctx -> TokenEntity.create(ctx.getEntityId())));
  }
}
