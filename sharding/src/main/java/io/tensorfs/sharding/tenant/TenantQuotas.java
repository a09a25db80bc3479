package io.tensorfs.sharding.tenant;

import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.EntityAsks;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * The tenants' quotas and usage over the sharded {@link TenantEntity}: every call asks the tenant's entity
 * with the configured timeout (UNAVAILABLE past it) and never blocks. Thread-safe.
 */
public final class TenantQuotas {
  private final EntityAsks asks;
  private final TenantSettings settings;

  /** Reads {@link TenantSettings} from the system's config; starts sharding for the tenant entities. */
  public TenantQuotas(ActorSystem<?> system) {
    this(system, TenantSettings.fromConfig(system.settings().config()));
  }

  public TenantQuotas(ActorSystem<?> system, TenantSettings settings) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(TenantEntity.ENTITY_TYPE_KEY,
        ctx -> TenantEntity.create(ctx.getEntityId(), settings.reservationLease())));
    sharding.init(Entity.of(TenantIndexEntity.ENTITY_TYPE_KEY, ctx -> TenantIndexEntity.create(ctx.getEntityId())));
    this.asks = new EntityAsks(sharding, settings.askTimeout());
    this.settings = settings;
  }

  public TenantSettings settings() {
    return settings;
  }

  /** The tenant of a path: its first segment; the root has none. */
  public static String tenantOf(TfsPath path) {
    if (path.isRoot()) throw new IllegalArgumentException("the root belongs to no tenant");
    return path.segments().get(0);
  }

  /**
   * Reserves, grows or renews the reservation {@code id} of {@code tenant} (see {@link TenantEntity.Reserve}):
   * completes with the bytes it now holds, or fails QUOTA_EXCEEDED.
   */
  public CompletionStage<Long> reserve(String tenant, String id, long minBytes, long wantBytes, int files) {
    return asks.<TenantEntity.Command, TenantEntity.ReserveReply>ask(TenantEntity.ENTITY_TYPE_KEY, tenant,
            r -> new TenantEntity.Reserve(id, minBytes, wantBytes, files, r))
        .thenApply(reply -> {
          if (reply instanceof TenantEntity.Refused refused) throw new TfsException(refused.code(), refused.message());
          return ((TenantEntity.Granted) reply).heldBytes();
        });
  }

  /** Turns a reservation into usage, crediting the version the new one replaced (see {@link TenantEntity.Commit}). */
  public CompletionStage<TenantUsage> commit(String tenant, String id, long bytes, int files, long creditedBytes,
      int creditedFiles) {
    return ask(tenant, r -> new TenantEntity.Commit(id, bytes, files, creditedBytes, creditedFiles, r));
  }

  /** Drops a reservation whose write failed. */
  public CompletionStage<TenantUsage> release(String tenant, String id) {
    return ask(tenant, r -> new TenantEntity.Release(id, r));
  }

  /** Takes a deleted version off the usage. */
  public CompletionStage<TenantUsage> credit(String tenant, long bytes, int files) {
    return ask(tenant, r -> new TenantEntity.Credit(bytes, files, r));
  }

  /** Changes a tenant's quota, and names the tenant in the index so that it is listed before it has files. */
  public CompletionStage<TenantUsage> setQuota(String tenant, QuotaChange change) {
    return asks.<TenantIndexEntity.Command, TenantIndexEntity.Names>ask(TenantIndexEntity.ENTITY_TYPE_KEY,
            TenantIndexEntity.ID, r -> new TenantIndexEntity.Add(tenant, r))
        .thenCompose(named -> ask(tenant, r -> new TenantEntity.SetQuota(change, r)));
  }

  /** The tenants that were given a quota, sorted (with or without files). */
  public CompletionStage<List<String>> named() {
    return asks.<TenantIndexEntity.Command, TenantIndexEntity.Names>ask(TenantIndexEntity.ENTITY_TYPE_KEY,
            TenantIndexEntity.ID, TenantIndexEntity.Get::new)
        .thenApply(TenantIndexEntity.Names::tenants);
  }

  /** Sets the committed usage to what a scan of the tenant's files counted. */
  public CompletionStage<TenantUsage> rebuild(String tenant, long bytes, long files) {
    return ask(tenant, r -> new TenantEntity.Rebuild(bytes, files, r));
  }

  /** The tenant's usage and quota; zeros and no limits for a tenant never written. */
  public CompletionStage<TenantUsage> usage(String tenant) {
    return ask(tenant, TenantEntity.GetUsage::new);
  }

  private CompletionStage<TenantUsage> ask(String tenant,
      org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<TenantUsage>, TenantEntity.Command> message) {
    return asks.ask(TenantEntity.ENTITY_TYPE_KEY, tenant, message);
  }
}
