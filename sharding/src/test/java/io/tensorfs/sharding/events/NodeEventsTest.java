package io.tensorfs.sharding.events;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.sharding.ClusterTestConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NodeEventsTest {
  private final ActorTestKit kit = ActorTestKit.create(ClusterTestConfig.of("node-1"));

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void shouldReplayTheLastHundredEventsThenSendNewOnes() throws Exception {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    NodeEvents events = NodeEvents.get(kit.system());
    awaitKind(events, "member-up");
    for (int i = 0; i < 120; i++) events.publish(NodeEvent.of(NodeEvent.Kind.REPAIR_DONE, "node-1", "repair " + i));
    awaitDetail(events, "repair 119");
    List<NodeEvent> kept = events.recent();
    assertEquals(NodeEvents.KEPT, kept.size());
    assertEquals("repair 119", kept.get(kept.size() - 1).detail());

    CompletionStage<List<NodeEvent>> seen = events.source().take(NodeEvents.KEPT + 1).runWith(Sink.seq(), kit.system());
    awaitSubscribed(events);
    events.publish(NodeEvent.of(NodeEvent.Kind.CHECKSUM_FAILURE, "node-1", "live"));
    List<NodeEvent> got = await(seen);
    assertEquals(kept, got.subList(0, NodeEvents.KEPT), "the kept events first, oldest first");
    assertEquals("live", got.get(NodeEvents.KEPT).detail());
  }

  @Test
  void shouldNameAMemberByItsNodeIdOnceLearned() throws Exception {
    Cluster cluster = Cluster.get(kit.system());
    String address = cluster.selfMember().address().toString();
    NodeEvents events = NodeEvents.get(kit.system());
    events.learn(address, "node-1");
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    awaitKind(events, "member-up");
    NodeEvent up = events.recent().stream().filter(e -> e.kind().equals("member-up")).findFirst().orElseThrow();
    assertEquals("node-1", up.node());
  }

  private static void awaitKind(NodeEvents events, String kind) throws InterruptedException {
    until(() -> events.recent().stream().anyMatch(e -> e.kind().equals(kind)), "an event " + kind);
  }

  private static void awaitDetail(NodeEvents events, String detail) throws InterruptedException {
    until(() -> events.recent().stream().anyMatch(e -> e.detail().equals(detail)), "an event " + detail);
  }

  /** The subscription is made when the stream starts, on another thread: wait for it. */
  private static void awaitSubscribed(NodeEvents events) throws InterruptedException {
    until(() -> events.subscriberCount() > 0, "a subscriber");
  }

  private static void until(java.util.function.BooleanSupplier test, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!test.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("no " + what + " within 30 s");
      Thread.sleep(20);
    }
  }
}
