package io.tensorfs.sharding.drain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeDrainEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());

  private final AtomicLong clock = new AtomicLong(1_000);
  private EventSourcedBehaviorTestKit<NodeDrainEntity.Command, NodeDrainEntity.Event, NodeDrainEntity.State> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), NodeDrainEntity.create("node-3", clock::get),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private Drain start(boolean decommission) {
    return kit.<Drain>runCommand(r -> new NodeDrainEntity.Start(decommission, r)).reply();
  }

  private Drain report(int left, String stuck, boolean drainedThroughout) {
    return kit.<Drain>runCommand(r -> new NodeDrainEntity.Report(left, stuck, drainedThroughout, r)).reply();
  }

  private Drain get() {
    return kit.<Drain>runCommand(NodeDrainEntity.Get::new).reply();
  }

  @Test
  void shouldBeActiveWithNoCountWhenNeverDrained() {
    assertEquals(new Drain("node-3", DrainState.ACTIVE, -1, 0, ""), get());
  }

  @Test
  void shouldGoFromDrainingToDrainedWhenASweepWhollyWhileDrainedFindsNothingLeft() {
    report(5, "", false);
    clock.set(2_000);
    Drain started = start(false);
    assertEquals(new Drain("node-3", DrainState.DRAINING, 5, 2_000, ""), started);

    assertEquals(DrainState.DRAINING, report(2, "", true).state());
    clock.set(3_000);
    assertEquals(DrainState.DRAINING, report(0, "", false).state(), "a sweep begun before the drain proves nothing");
    Drain done = report(0, "", true);

    assertEquals(new Drain("node-3", DrainState.DRAINED, 0, 3_000, ""), done);
    assertEquals(done, get());
  }

  @Test
  void shouldDrainAgainWhenReplicasTurnUpAfterTheDrainWasDone() {
    start(false);
    report(0, "", true);

    assertEquals(DrainState.DRAINING, report(1, "", true).state());
  }

  @Test
  void shouldKeepTheStuckReasonAndStayDrainingWhileReplicasCannotMove() {
    start(false);
    Drain stuck = report(3, "3 chunks need 3 nodes other than this one, 2 remain", true);

    assertEquals(DrainState.DRAINING, stuck.state());
    assertEquals("3 chunks need 3 nodes other than this one, 2 remain", stuck.stuck());
    assertEquals("", report(0, "", true).stuck());
  }

  @Test
  void shouldPersistNothingWhenTheCountIsUnchanged() {
    start(false);
    report(4, "", true);

    assertTrue(kit.<Drain>runCommand(r -> new NodeDrainEntity.Report(4, "", true, r)).hasNoEvents());
    assertTrue(kit.<Drain>runCommand(r -> new NodeDrainEntity.Start(false, r)).hasNoEvents(), "draining already");
  }

  @Test
  void shouldReturnToActiveWhenUndrainedFromAnyState() {
    start(false);
    report(0, "", true);
    clock.set(5_000);

    var undrained = kit.<Drain>runCommand(NodeDrainEntity.Stop::new);

    assertEquals(List.of(new NodeDrainEntity.DrainStopped(5_000)), undrained.events());
    assertEquals(DrainState.ACTIVE, undrained.reply().state());
    assertEquals(DrainState.ACTIVE, report(0, "", false).state(), "an active node's count ends nothing");
    start(true);
    assertEquals(DrainState.ACTIVE, kit.<Drain>runCommand(NodeDrainEntity.Stop::new).reply().state());
  }

  @Test
  void shouldStayDecommissioningUntilTheNodeSaysItLeaves() {
    assertEquals(DrainState.DECOMMISSIONING, start(true).state());
    assertEquals(DrainState.DECOMMISSIONING, report(0, "", true).state(), "the node leaves, then it is decommissioned");
    assertEquals(DrainState.DECOMMISSIONING, start(false).state(), "a drain does not cancel a decommission");

    Drain left = kit.<Drain>runCommand(NodeDrainEntity.MarkDecommissioned::new).reply();

    assertEquals(DrainState.DECOMMISSIONED, left.state());
    assertEquals(left, get());
  }

  @Test
  void shouldTurnADrainIntoADecommissionWhenAskedToDecommission() {
    start(false);
    report(0, "", true);

    assertEquals(DrainState.DECOMMISSIONING, start(true).state());
  }

  @Test
  void shouldNotMarkDecommissionedANodeThatIsNotDecommissioning() {
    start(false);

    assertTrue(kit.<Drain>runCommand(NodeDrainEntity.MarkDecommissioned::new).hasNoEvents());
    assertEquals(DrainState.DRAINING, get().state());
  }

  @Test
  void shouldKeepItsStateWhenRestarted() {
    start(false);
    report(7, "", true);

    kit.restart();

    assertEquals(DrainState.DRAINING, get().state());
    assertEquals(7, get().replicasLeft());
  }
}
