package io.tensorfs.sharding.kv;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * The KV index of the cluster, as seen from this node: which bucket entity a key belongs to, and the calls
 * to it: a bucket running on this node is called directly (a method call under its lock), any other is
 * asked through cluster sharding. Registers the bucket entities with cluster sharding on construction
 * (without passivation: an idle bucket must not forget its keys). Thread-safe; every method returns at once.
 */
public final class KvIndex {
  private final ClusterSharding sharding;
  private final int buckets;
  private final Duration timeout;
  /** The buckets running on this node: reached by a method call, not an ask. */
  private final KvBuckets local = new KvBuckets();

  public KvIndex(ActorSystem<?> system, KvSettings settings) {
    this.sharding = ClusterSharding.get(system);
    this.buckets = settings.buckets();
    this.timeout = settings.askTimeout();
    int max = settings.bucketEntries();
    sharding.init(Entity.of(KvIndexEntity.ENTITY_TYPE_KEY, ctx -> KvIndexEntity.create(ctx.getEntityId(), local, max))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** The entity id of {@code key}'s bucket: {@code <tenant>/<bucket>}. */
  public String bucketOf(String tenant, String key) {
    return tenant + "/" + Math.floorMod(key.hashCode(), buckets);
  }

  /** Sets the key's entry; completes with the entry it replaced. */
  public CompletionStage<Optional<KvEntry>> put(String tenant, String key, KvEntry entry) {
    String id = bucketOf(tenant, key);
    KvBucket here = local.local(id);
    Optional<KvEntry> answer = here == null ? null : here.put(key, entry);
    if (answer != null) return CompletableFuture.completedFuture(answer);
    return ask(id, (ActorRef<KvIndexEntity.Previous> r) -> new KvIndexEntity.Put(key, entry, r))
        .thenApply(KvIndexEntity.Previous::entry);
  }

  public CompletionStage<Optional<KvEntry>> lookup(String tenant, String key) {
    String id = bucketOf(tenant, key);
    KvBucket here = local.local(id);
    Optional<KvEntry> answer = here == null ? null : here.get(key);
    if (answer != null) return CompletableFuture.completedFuture(answer);
    return ask(id, (ActorRef<KvIndexEntity.Found> r) -> new KvIndexEntity.Lookup(key, r))
        .thenApply(KvIndexEntity.Found::entry);
  }

  /** The entries of {@code keys} (absent ones left out), one ask per bucket they fall in, all at once. */
  public CompletionStage<Map<String, KvEntry>> lookupAll(String tenant, List<String> keys) {
    Map<String, List<String>> byBucket = new HashMap<>();
    for (String k : keys) byBucket.computeIfAbsent(bucketOf(tenant, k), b -> new ArrayList<>()).add(k);
    List<CompletableFuture<KvIndexEntity.FoundAll>> asks = new ArrayList<>();
    Map<String, KvEntry> all = new HashMap<>();
    for (var e : byBucket.entrySet()) {
      List<String> ks = List.copyOf(e.getValue());
      KvBucket here = local.local(e.getKey());
      Map<String, KvEntry> answer = here == null ? null : here.getAll(ks);
      if (answer != null) {
        all.putAll(answer);
        continue;
      }
      asks.add(ask(e.getKey(), (ActorRef<KvIndexEntity.FoundAll> r) -> new KvIndexEntity.LookupAll(ks, r))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(x -> {
      for (var f : asks) all.putAll(f.getNow(null).entries());
      return all;
    });
  }

  /** Forgets the key; completes with the entry it had. */
  public CompletionStage<Optional<KvEntry>> remove(String tenant, String key) {
    String id = bucketOf(tenant, key);
    KvBucket here = local.local(id);
    Optional<KvEntry> answer = here == null ? null : here.remove(key);
    if (answer != null) return CompletableFuture.completedFuture(answer);
    return ask(id, (ActorRef<KvIndexEntity.Previous> r) -> new KvIndexEntity.Remove(key, r))
        .thenApply(KvIndexEntity.Previous::entry);
  }

  /** Forgets the key if it still names {@code blockId}; no answer. */
  public void forget(String tenant, String key, FileId blockId) {
    String id = bucketOf(tenant, key);
    KvBucket here = local.local(id);
    if (here != null) {
      here.forget(key, blockId);
      return;
    }
    sharding.entityRefFor(KvIndexEntity.ENTITY_TYPE_KEY, id).tell(new KvIndexEntity.Forget(key, blockId));
  }

  private <R> CompletionStage<R> ask(String bucket, Function<ActorRef<R>, KvIndexEntity.Command> message) {
    return Stages.onTheSpot(sharding.entityRefFor(KvIndexEntity.ENTITY_TYPE_KEY, bucket).ask(message::apply, timeout))
        .exceptionally(e -> {
          throw new CompletionException(translate(bucket, Failures.unwrap(e)));
        });
  }

  private TfsException translate(String bucket, Throwable cause) {
    if (cause instanceof TfsException t) return t;
    if (cause instanceof TimeoutException) {
      return new TfsException(ErrorCode.UNAVAILABLE,
          "the KV index bucket " + bucket + " did not answer within " + timeout.toMillis() + " ms", cause);
    }
    return new TfsException(ErrorCode.INTERNAL, "KV index ask to " + bucket + " failed: " + cause, cause);
  }
}
