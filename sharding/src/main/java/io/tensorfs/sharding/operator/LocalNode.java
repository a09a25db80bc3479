package io.tensorfs.sharding.operator;

import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ReadLeases;
import io.tensorfs.store.StoreActor;
import io.tensorfs.store.Stores;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What of the node's data lives on this node: its id, its stores (in the order of the configured
 * directories) and their actors by store id, the read leases that keep collected versions' bytes while
 * they are read, and the size of the segments a store reads at once. Immutable.
 *
 * @param readSegmentBytes bytes of one store read when a read goes past the cache
 */
public record LocalNode(String nodeId, List<ChunkStore> stores, Map<String, ActorRef<StoreActor.Command>> storeActors,
    ReadLeases leases, int readSegmentBytes) {

  public LocalNode {
    stores = List.copyOf(stores);
    storeActors = Map.copyOf(storeActors);
  }

  /** This node's {@code stores}, with the actors started over them. */
  public static LocalNode of(String nodeId, Stores stores, Map<String, ActorRef<StoreActor.Command>> storeActors) {
    return new LocalNode(nodeId, stores.all(), storeActors, stores.leases(), stores.settings().readSegmentBytes());
  }

  /** The store {@code id} of this node, if it has one. */
  public Optional<ChunkStore> store(String id) {
    for (ChunkStore s : stores) if (s.id().equals(id)) return Optional.of(s);
    return Optional.empty();
  }

  /** The stores by id, in order. */
  public Map<String, ChunkStore> storesById() {
    Map<String, ChunkStore> byId = new LinkedHashMap<>();
    for (ChunkStore s : stores) byId.put(s.id(), s);
    return byId;
  }
}
