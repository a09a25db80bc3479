package io.tensorfs.sharding.kv;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.FileId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One bucket of a tenant's KV index: key to {@link KvEntry}, in memory only. Sharded by
 * {@code <tenant>/<bucket>} over the nodes and never persisted: when its shard moves to another node (a
 * node left or joined) or its node restarts, it starts empty there, so its keys answer misses until put
 * again; it never answers an entry it did not see put. Not passivated while its node runs. The actor's
 * thread owns the map. Past {@code maxEntries} keys the oldest is forgotten (its block becomes a miss).
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

  public static Behavior<Command> create(int maxEntries) {
    return Behaviors.setup(ctx -> active(new Entries(maxEntries)));
  }

  private static Behavior<Command> active(Entries entries) {
    return Behaviors.receive(Command.class)
        .onMessage(Put.class, m -> {
          m.replyTo().tell(new Previous(Optional.ofNullable(entries.put(m.key(), m.entry()))));
          return Behaviors.same();
        })
        .onMessage(Lookup.class, m -> {
          m.replyTo().tell(new Found(Optional.ofNullable(entries.get(m.key()))));
          return Behaviors.same();
        })
        .onMessage(LookupAll.class, m -> {
          Map<String, KvEntry> found = new HashMap<>();
          for (String k : m.keys()) {
            KvEntry e = entries.get(k);
            if (e != null) found.put(k, e);
          }
          m.replyTo().tell(new FoundAll(found));
          return Behaviors.same();
        })
        .onMessage(Remove.class, m -> {
          m.replyTo().tell(new Previous(Optional.ofNullable(entries.remove(m.key()))));
          return Behaviors.same();
        })
        .onMessage(Forget.class, m -> {
          KvEntry e = entries.get(m.key());
          if (e != null && e.blockId().equals(m.blockId())) entries.remove(m.key());
          return Behaviors.same();
        })
        .build();
  }

  /** The bucket's map, bounded: insertion order, the eldest dropped past the limit. */
  static final class Entries extends LinkedHashMap<String, KvEntry> {
    private final int maxEntries;

    Entries(int maxEntries) {
      super(16, 0.75f, false);
      this.maxEntries = maxEntries;
    }

    @Override
    public KvEntry put(String key, KvEntry value) {
      // A re-put moves the key to the young end: the bound forgets the least recently put keys first.
      KvEntry old = super.remove(key);
      super.put(key, value);
      return old;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, KvEntry> eldest) {
      return size() > maxEntries;
    }
  }
}
