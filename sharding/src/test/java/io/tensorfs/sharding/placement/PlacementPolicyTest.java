package io.tensorfs.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.Policy;
import io.tensorfs.core.ReplicaLocation;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {
  private static final long GIB = 1L << 30;

  private static NodeView node(String id, long... roomPerStore) {
    return node(id, false, roomPerStore);
  }

  private static NodeView node(String id, boolean drained, long... roomPerStore) {
    List<StoreRoom> stores = new java.util.ArrayList<>();
    for (int i = 0; i < roomPerStore.length; i++) stores.add(new StoreRoom("d" + i, roomPerStore[i]));
    return new NodeView(id, stores, drained);
  }

  private static ReplicaLocation at(String node, String store) {
    return new ReplicaLocation(node, store);
  }

  @Test
  void shouldPutThisNodesStoresFirstWhenPlacingANewChunk() {
    ClusterView view = ClusterView.of(node("n2", GIB, GIB), List.of(node("n1", GIB), node("n3", GIB)));

    List<ReplicaLocation> candidates = new PlacementPolicy().candidates(GIB, Policy.PERSISTENT, view);

    assertEquals(List.of(at("n2", "d0"), at("n2", "d1")), candidates.subList(0, 2));
    assertEquals(4, candidates.size());
    assertEquals(Set.of(at("n1", "d0"), at("n3", "d0")), Set.copyOf(candidates.subList(2, 4)));
  }

  @Test
  void shouldTurnTheOtherNodesOrderWhenUploadsFollowEachOther() {
    ClusterView view = ClusterView.of(node("n0", GIB), List.of(node("n1", GIB), node("n2", GIB), node("n3", GIB)));
    PlacementPolicy policy = new PlacementPolicy();

    Set<String> secondNodes = new HashSet<>();
    for (int upload = 0; upload < 3; upload++) {
      List<ReplicaLocation> chosen = PlacementPolicy.choose(policy.candidates(0, Policy.PERSISTENT, view), 3);
      assertEquals("n0", chosen.get(0).node());
      secondNodes.add(chosen.get(1).node());
    }

    assertEquals(Set.of("n1", "n2", "n3"), secondNodes);
  }

  @Test
  void shouldKeepAKvcacheChunkOnThisNodeWhenOtherNodesHaveRoom() {
    ClusterView view = ClusterView.of(node("n1", GIB), List.of(node("n2", 10 * GIB), node("n3", 10 * GIB)));

    assertEquals(List.of(at("n1", "d0")), new PlacementPolicy().candidates(GIB, Policy.KVCACHE, view));
  }

  @Test
  void shouldChooseOneStorePerNodeFirstWhenANodeOffersSeveralStores() {
    List<ReplicaLocation> candidates = List.of(at("n1", "d0"), at("n1", "d1"), at("n2", "d0"), at("n3", "d0"));

    assertEquals(List.of(at("n1", "d0"), at("n2", "d0"), at("n3", "d0")), PlacementPolicy.choose(candidates, 3));
  }

  @Test
  void shouldFillWithStoresOfUsedNodesWhenTooFewNodesExist() {
    List<ReplicaLocation> candidates = List.of(at("n1", "d0"), at("n1", "d1"), at("n2", "d0"), at("n1", "d0"));

    assertEquals(List.of(at("n1", "d0"), at("n2", "d0"), at("n1", "d1")), PlacementPolicy.choose(candidates, 3));
    assertEquals(List.of(at("n1", "d0")), PlacementPolicy.choose(candidates, 1));
  }

  @Test
  void shouldOfferNoCandidateWhenNoStoreHasRoom() {
    ClusterView view = ClusterView.of(node("n1", GIB - 1, 10), List.of(node("n2", 5), node("n3", GIB - 1)));

    assertTrue(new PlacementPolicy().candidates(GIB, Policy.PERSISTENT, view).isEmpty());
    assertEquals(List.of(at("n2", "d0")), new PlacementPolicy().candidates(GIB, Policy.PERSISTENT,
        ClusterView.of(node("n1", 0), List.of(node("n2", 2 * GIB)))));
  }

  @Test
  void shouldNeverOfferADrainedNodeWhenPlacing() {
    ClusterView othersDrained = ClusterView.of(node("n1", GIB),
        List.of(node("n2", true, GIB), node("n3", GIB), node("n4", true, GIB)));
    PlacementPolicy policy = new PlacementPolicy();
    for (int upload = 0; upload < 4; upload++) {
      assertEquals(List.of(at("n1", "d0"), at("n3", "d0")), policy.candidates(GIB, Policy.PERSISTENT, othersDrained));
    }

    ClusterView selfDrained = ClusterView.of(node("n1", true, GIB), List.of(node("n2", GIB)));
    assertEquals(List.of(at("n2", "d0")), policy.candidates(GIB, Policy.PERSISTENT, selfDrained));
    assertTrue(policy.candidates(GIB, Policy.KVCACHE, selfDrained).isEmpty());
  }

  @Test
  void shouldSkipHoldersFullAndDrainedNodesWhenChoosingRepairTargets() {
    ClusterView view = ClusterView.of(node("n1", 10 * GIB), List.of(
        node("n2", 10 * GIB), node("n3", GIB - 1), node("n4", true, 10 * GIB), node("n5", GIB)));
    PlacementPolicy policy = new PlacementPolicy();

    for (int repair = 0; repair < 3; repair++) {
      assertEquals(List.of(at("n5", "d0")), policy.repairTargets(GIB, 2, Set.of("n1", "n2"), view));
    }
    assertTrue(policy.repairTargets(GIB, 1, Set.of("n1", "n2", "n5"), view).isEmpty());
    assertTrue(policy.repairTargets(GIB, 0, Set.of("n1"), view).isEmpty());
  }

  @Test
  void shouldPickTheStoreWithMostRoomWhenRepairingOntoANode() {
    ClusterView view = ClusterView.of(node("n1", GIB), List.of(node("n2", 2 * GIB, 8 * GIB, 4 * GIB, GIB / 2)));

    assertEquals(List.of(at("n2", "d1")), new PlacementPolicy().repairTargets(GIB, 1, Set.of("n1"), view));
  }

  @Test
  void shouldSpreadRepairsOverTheNodesWhenSeveralCanTakeThem() {
    ClusterView view = ClusterView.of(node("n1", GIB), List.of(node("n2", GIB), node("n3", GIB), node("n4", GIB)));
    PlacementPolicy policy = new PlacementPolicy();

    Set<String> firsts = new HashSet<>();
    for (int repair = 0; repair < 3; repair++) {
      List<ReplicaLocation> targets = policy.repairTargets(GIB, 2, Set.of("n1"), view);
      assertEquals(2, targets.size());
      assertEquals(2, targets.stream().map(ReplicaLocation::node).distinct().count());
      firsts.add(targets.get(0).node());
    }

    assertEquals(Set.of("n2", "n3", "n4"), firsts);
  }

  @Test
  void shouldNeverChooseADrainedNodeForANewChunkOrARepair() {
    ClusterView view = ClusterView.of(node("n3", true, 10 * GIB), List.of(node("n1", GIB), node("n2", true, 10 * GIB),
        node("n4", GIB)));
    PlacementPolicy policy = new PlacementPolicy();

    for (int turn = 0; turn < 4; turn++) {
      Set<String> placed = new HashSet<>();
      policy.candidates(GIB, Policy.PERSISTENT, view).forEach(c -> placed.add(c.node()));
      assertEquals(Set.of("n1", "n4"), placed);
      Set<String> targets = new HashSet<>();
      policy.repairTargets(GIB, 2, Set.of("n3"), view).forEach(t -> targets.add(t.node()));
      assertEquals(Set.of("n1", "n4"), targets);
    }
    assertTrue(policy.repairTargets(GIB, 1, Set.of("n1", "n4"), view).isEmpty(),
        "the drained nodes have room, but no copy may go there");
  }
}
