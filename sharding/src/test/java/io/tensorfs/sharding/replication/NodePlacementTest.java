package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.sharding.placement.StoreRoom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodePlacementTest {
  private static final long GIB = 1L << 30;

  private static Peers.PeerInfo peer(String id, long room, boolean drained) {
    return new Peers.PeerInfo(id, "endpoint-" + id, List.of(new StoreRoom("d0", room)), drained);
  }

  private static ReplicaLocation at(String node, String store) {
    return new ReplicaLocation(node, store);
  }

  @Test
  void shouldOfferThisNodesStoresThenPeersWithRoomWhenAnUploadAsks() {
    Peers peers = new Peers("n1");
    peers.update(Map.of("n2", peer("n2", 2 * GIB, false), "n3", peer("n3", GIB / 2, false),
        "n4", peer("n4", 2 * GIB, true)));
    NodePlacement placement = new NodePlacement(peers, List.of(new RoomStore("d0", GIB), new RoomStore("d1", 0)));

    assertEquals(List.of(at("n1", "d0"), at("n2", "d0")), placement.candidates(GIB, Policy.PERSISTENT));
    assertEquals(List.of(at("n1", "d0")), placement.candidates(GIB, Policy.KVCACHE));
  }

  @Test
  void shouldReadThisNodesRoomAtEachCallWhenStoresFillUp() {
    RoomStore store = new RoomStore("d0", GIB);
    NodePlacement placement = new NodePlacement(new Peers("n1"), List.of(store));
    assertEquals(List.of(at("n1", "d0")), placement.candidates(GIB, Policy.KVCACHE));

    store.setUsableBytes(GIB - 1);

    assertTrue(placement.candidates(GIB, Policy.KVCACHE).isEmpty());
  }

  @Test
  void shouldSeeAPeersAdvertisedRoomWhenItChanges() {
    Peers peers = new Peers("n1");
    NodePlacement placement = new NodePlacement(peers, List.of(new RoomStore("d0", GIB)));
    peers.update(Map.of("n2", peer("n2", 0, false)));
    assertTrue(placement.repairTargets(GIB, 1, Set.of("n1")).isEmpty());

    peers.update(Map.of("n2", peer("n2", GIB, false)));

    assertEquals(List.of(at("n2", "d0")), placement.repairTargets(GIB, 1, Set.of("n1")));
  }

  @Test
  void shouldPlaceNothingHereWhenThisNodeIsDrained() {
    Peers peers = new Peers("n1");
    peers.update(Map.of("n2", peer("n2", GIB, false)));
    NodePlacement placement = new NodePlacement(peers, List.of(new RoomStore("d0", GIB)));

    peers.drainSelf(true);

    assertEquals(List.of(at("n2", "d0")), placement.candidates(GIB, Policy.PERSISTENT));
    assertTrue(placement.candidates(GIB, Policy.KVCACHE).isEmpty());
  }
}
