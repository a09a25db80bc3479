package io.tensorfs.sharding.kv;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.FileId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One bucket of a tenant's KV index, key to {@link KvEntry}, in memory only. Sharded by
 * {@code <tenant>/<bucket>} over the nodes and never persisted: when its shard moves to another node (a
 * node left or joined) or its node restarts, it starts empty there, so its keys answer misses until put
 * again; it never answers an entry it did not see put. Not passivated while its node runs. It owns its
 * {@link KvBucket}'s life: registered with the node's {@link KvBuckets} while it runs (callers on this node
 * use it directly), closed when it stops. Serves the asks of other nodes, and of callers that found no local
 * bucket.
 */
public final class KvIndexEntity {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "KvIndex");

  private KvIndexEntity() {}

  public sealed interface Command extends CborSerializable permits Put, Lookup, LookupAll, Remove, Forget {}

  /** Sets {@code key}'s entry; answers the one it replaced. */
  public record Put(String key, KvEntry entry, ActorRef<Previous> replyTo) implements Command {}

  public record Lookup(String key, ActorRef<Found> replyTo) implements Command {}

  /** The entries of several keys at once (absent keys are left out of the answer). */
  public record LookupAll(List<String> keys, ActorRef<FoundAll> replyTo) implements Command {}

  /** Forgets {@code key}; answers the entry it had. */
  public record Remove(String key, ActorRef<Previous> replyTo) implements Command {}

  /** Forgets {@code key} only if it still names {@code blockId} (its holder lost that block). No answer. */
  public record Forget(String key, FileId blockId) implements Command {}

  public record Previous(Optional<KvEntry> entry) implements CborSerializable {}

  public record Found(Optional<KvEntry> entry) implements CborSerializable {}

  public record FoundAll(Map<String, KvEntry> entries) implements CborSerializable {}

  /**
   * @param id      the entity id, {@code <tenant>/<bucket>}
   * @param buckets this node's running buckets, where this one is registered while it runs
   */
  public static Behavior<Command> create(String id, KvBuckets buckets, int maxEntries) {
    return Behaviors.setup(ctx -> {
      KvBucket bucket = new KvBucket(maxEntries);
      buckets.started(id, bucket);
      return active(id, buckets, bucket);
    });
  }

  private static Behavior<Command> active(String id, KvBuckets buckets, KvBucket bucket) {
    return Behaviors.receive(Command.class)
        .onMessage(Put.class, m -> {
          m.replyTo().tell(new Previous(bucket.put(m.key(), m.entry())));
          return Behaviors.same();
        })
        .onMessage(Lookup.class, m -> {
          m.replyTo().tell(new Found(bucket.get(m.key())));
          return Behaviors.same();
        })
        .onMessage(LookupAll.class, m -> {
          m.replyTo().tell(new FoundAll(bucket.getAll(m.keys())));
          return Behaviors.same();
        })
        .onMessage(Remove.class, m -> {
          m.replyTo().tell(new Previous(bucket.remove(m.key())));
          return Behaviors.same();
        })
        .onMessage(Forget.class, m -> {
          bucket.forget(m.key(), m.blockId());
          return Behaviors.same();
        })
        .onSignal(PostStop.class, s -> {
          buckets.stopped(id, bucket);
          bucket.close();
          return Behaviors.same();
        })
        .build();
  }
}
