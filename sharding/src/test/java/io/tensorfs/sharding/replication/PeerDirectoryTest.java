package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.sharding.ClusterTestConfig;
import io.tensorfs.sharding.placement.StoreRoom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two nodes in one JVM, each with its directory: what each learns of the other's stores and status. */
class PeerDirectoryTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final PeerDirectory.Settings FAST = new PeerDirectory.Settings(Duration.ofMillis(200));

  private ActorTestKit a;
  private ActorTestKit b;

  @AfterEach
  void stop() {
    if (b != null) b.shutdownTestKit();
    if (a != null) a.shutdownTestKit();
  }

  private void startTwoNodes() {
    startTwoNodes(ClusterTestConfig.of("n2"));
  }

  private void startTwoNodes(com.typesafe.config.Config second) {
    a = ActorTestKit.create("peers", ClusterTestConfig.of("n1"));
    b = ActorTestKit.create("peers", second);
    var seed = Cluster.get(a.system()).selfMember().address();
    Cluster.get(a.system()).manager().tell(Join.create(seed));
    Cluster.get(b.system()).manager().tell(Join.create(seed));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(MemberStatus.up(), Cluster.get(a.system()).selfMember().status());
      assertEquals(MemberStatus.up(), Cluster.get(b.system()).selfMember().status());
      return null;
    });
  }

  @Test
  void shouldSeeTheOtherNodesRoomAndItsChangesWhenNodesAdvertise() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    Peers peersB = new Peers("n2");
    RoomStore storeB = new RoomStore("d0", 1000);
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(peersB, "endpoint-b", List.of(storeB), FAST));

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(List.of(new StoreRoom("d0", 1000)), peersA.live().get("n2").stores());
      assertEquals(List.of(new StoreRoom("d0", 5000)), peersB.live().get("n1").stores());
      return null;
    });
    assertFalse(peersA.live().get("n2").drained());

    storeB.setUsableBytes(300);

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(List.of(new StoreRoom("d0", 300)), peersA.live().get("n2").stores());
      return null;
    });
  }

  @Test
  void shouldMarkANodeDrainedWhenItLeavesTheCluster() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    Peers peersB = new Peers("n2");
    List<Map<String, Peers.PeerInfo>> viewsA = new CopyOnWriteArrayList<>();
    peersA.onChange(viewsA::add);
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(peersB, "endpoint-b", List.of(new RoomStore("d0", 1000)), FAST));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertTrue(peersA.live().containsKey("n2"));
      return null;
    });

    Cluster.get(b.system()).manager().tell(Leave.create(Cluster.get(b.system()).selfMember().address()));

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertTrue(viewsA.stream().anyMatch(v -> v.containsKey("n2") && v.get("n2").drained()),
          "n1 saw n2 drained before it went");
      assertTrue(peersB.selfDrained(), "n2 knows itself drained");
      return null;
    });
  }

  @Test
  void shouldCountBothNodesAsHoldingReplicasWhenBothAdvertisedStores() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    Peers peersB = new Peers("n2");
    assertEquals(1, peersA.replicaNodes(), "a node alone until it counted");
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(peersB, "endpoint-b", List.of(new RoomStore("d0", 1000)), FAST));

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(2, peersA.replicaNodes());
      assertEquals(2, peersB.replicaNodes());
      return null;
    });
  }

  @Test
  void shouldKeepCountingANodeThatCrashedUntilItIsRemoved() {
    // n2 dies without leaving (no coordinated shutdown): unreachable, and no downing here removes it.
    startTwoNodes(com.typesafe.config.ConfigFactory.parseString(
            "pekko.coordinated-shutdown.run-by-actor-system-terminate = off")
        .withFallback(ClusterTestConfig.of("n2")));
    Peers peersA = new Peers("n1");
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(new Peers("n2"), "endpoint-b", List.of(new RoomStore("d0", 1000)), FAST));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(2, peersA.replicaNodes());
      assertTrue(peersA.live().containsKey("n2"));
      return null;
    });

    var crashed = Cluster.get(b.system()).selfMember().address();
    b.system().terminate();
    b.system().getWhenTerminated().toCompletableFuture().orTimeout(20, java.util.concurrent.TimeUnit.SECONDS).join();
    b = null;

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertFalse(Cluster.get(a.system()).state().getUnreachable().isEmpty(), "n2 is unreachable");
      assertFalse(peersA.live().containsKey("n2"), "placement no longer uses n2");
      return null;
    });
    assertEquals(2, peersA.replicaNodes(), "n2 still counts: it was not removed, so min-insync is not lowered");

    // Downed (what the split-brain resolver does), then removed: only then it stops counting.
    Cluster.get(a.system()).manager().tell(org.apache.pekko.cluster.typed.Down.apply(crashed));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(1, peersA.replicaNodes());
      assertTrue(Cluster.get(a.system()).state().getUnreachable().isEmpty(), "n2 removed");
      return null;
    });
  }

  @Test
  void shouldStopCountingANodeThatLeavesOnPurpose() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(new Peers("n2"), "endpoint-b", List.of(new RoomStore("d0", 1000)), FAST));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(2, peersA.replicaNodes());
      return null;
    });

    Cluster.get(b.system()).manager().tell(Leave.create(Cluster.get(b.system()).selfMember().address()));

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(1, peersA.replicaNodes());
      return null;
    });
  }

  @Test
  void shouldNotCountANodeWithoutStores() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    Peers peersB = new Peers("n2");
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    b.spawn(PeerDirectory.create(peersB, "endpoint-b", List.of(), FAST));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertTrue(peersA.live().containsKey("n2"), "n2 introduced itself");
      assertTrue(peersB.live().containsKey("n1"));
      return null;
    });
    assertEquals(1, peersA.replicaNodes(), "n2 advertised no store: it cannot hold a replica");
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(1, peersB.replicaNodes(), "n2 counts n1 only");
      return null;
    });
  }

  @Test
  void shouldTellTheOtherNodesAtOnceWhenAnOperatorDrainsOrUndrainsANode() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    Peers peersB = new Peers("n2");
    // Advertising only every minute: what n1 learns in the deadline comes from the drain's own introduction.
    PeerDirectory.Settings slow = new PeerDirectory.Settings(Duration.ofMinutes(1));
    a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), slow));
    var directoryB = b.spawn(PeerDirectory.create(peersB, "endpoint-b", List.of(new RoomStore("d0", 1000)), slow));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertEquals(2, peersA.replicaNodes());
      assertFalse(peersA.live().get("n2").drained());
      return null;
    });

    peersB.adminDrain(true);
    directoryB.tell(PeerDirectory.DrainChanged.INSTANCE);

    assertTrue(peersB.selfDrained(), "placement on n2 stops choosing n2");
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertTrue(peersA.live().get("n2").drained(), "n1 sees n2 drained");
      assertEquals(1, peersA.replicaNodes(), "a drained node does not count toward min-insync");
      assertEquals(1, peersA.openNodes());
      return null;
    });

    peersB.adminDrain(false);
    directoryB.tell(PeerDirectory.DrainChanged.INSTANCE);

    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      assertFalse(peersA.live().get("n2").drained(), "n1 sees n2 active again");
      assertEquals(2, peersA.replicaNodes());
      return null;
    });
  }

  @Test
  void shouldNameTheUpMemberItHasNotHeardFromUntilThatNodesDirectoryIntroducesItself() {
    startTwoNodes();
    Peers peersA = new Peers("n1");
    var directoryA = a.spawn(PeerDirectory.create(peersA, "endpoint-a", List.of(new RoomStore("d0", 5000)), FAST));
    var answers = a.<java.util.Set<org.apache.pekko.actor.Address>>createTestProbe();
    var addressB = Cluster.get(b.system()).selfMember().address();

    // n2 is up but runs no directory yet: placement on n1 cannot know its room.
    directoryA.tell(new PeerDirectory.Unintroduced(answers.getRef()));
    assertEquals(java.util.Set.of(addressB), answers.receiveMessage());

    b.spawn(PeerDirectory.create(new Peers("n2"), "endpoint-b", List.of(new RoomStore("d0", 1000)), FAST));
    a.createTestProbe().awaitAssert(DEADLINE, () -> {
      directoryA.tell(new PeerDirectory.Unintroduced(answers.getRef()));
      assertEquals(java.util.Set.of(), answers.receiveMessage());
      return null;
    });
    assertEquals(List.of(new StoreRoom("d0", 1000)), peersA.live().get("n2").stores());
  }
}
