package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code cache(min,max)} chunk's entity turning read reports into in-memory replicas: test probes
 * stand in for three nodes' memory-replica agents ({@link MemoryReplicaProtocol}) and answer its holds.
 */
class ElasticReplicasTest {
  private static final List<String> NODES = List.of("node-a", "node-b", "node-c");
  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create("elastic", ConfigFactory.parseString("""
            tensorfs.elastic.report-interval = 200ms
            tensorfs.elastic.reads-per-replica = 10
            tensorfs.elastic.cool-after = 1s
            tensorfs.elastic.lease = 1s
            """).withFallback(ShardedMetadataTest.clusterConfig()));
    metadata = ShardedMetadataTest.joinAlone(testKit);
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  private static ChunkId committedChunk(String path, Policy policy) throws Exception {
    FileId id = await(metadata.beginUpload(TfsPath.parse(path), policy, 1000, Precondition.NONE));
    ChunkId chunk = new ChunkId(id, 0);
    List<ReplicaLocation> placed = await(metadata.allocateChunk(chunk, policy,
        NODES.stream().map(n -> new ReplicaLocation(n, "d0")).toList()));
    await(metadata.commitChunk(chunk, 1000, 7, placed));
    return chunk;
  }

  /**
   * A node's agent that answers every hold with {@code held} and records what it was told (holds are
   * counted, releases kept by chunk).
   */
  private static final class Agent {
    final java.util.concurrent.atomic.AtomicInteger holds = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.Queue<ChunkId> releases = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final ActorRef<MemoryReplicaProtocol.Command> ref;

    Agent(String node, boolean held) {
      ref = testKit.spawn(Behaviors.receiveMessage(c -> {
        if (c instanceof MemoryReplicaProtocol.Hold h) {
          holds.incrementAndGet();
          h.replyTo().tell(new ChunkEntity.HoldResult(node, held, held ? "" : "cache full"));
        } else if (c instanceof MemoryReplicaProtocol.Release r) {
          releases.add(r.chunk());
        }
        return Behaviors.same();
      }));
    }
  }

  @Test
  void shouldAddMemoryReplicasUnderDemandAndReleaseThemToMinWhenIdle() throws Exception {
    ChunkId chunk = committedChunk("/elastic/model.bin", Policy.parse("cache(1,3)"));
    Map<String, Agent> agents = Map.of(
        "node-a", new Agent("node-a", true), "node-b", new Agent("node-b", true), "node-c", new Agent("node-c", true));

    // Three nodes read 20 times a second each: 60 reads/s wants 6 replicas, capped at max 3.
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      for (String node : NODES) {
        metadata.reportReads(chunk, node, TfsPath.parse("/elastic/model.bin"), 4, 200, agents.get(node).ref);
      }
      ChunkStatus.Memory memory = await(metadata.chunk(chunk)).memory();
      assertEquals(3, memory.wanted());
      assertEquals(NODES, memory.nodes(), "every reading node holds it");
      assertTrue(memory.readsPerSecond() >= 20, "demand shown: " + memory.readsPerSecond());
      return null;
    });

    // Reads stop: after the cool-down two holds are released, down to min = 1, and stay there.
    probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      Set<String> released = new TreeSet<>();
      agents.forEach((node, agent) -> {
        if (agent.releases.contains(chunk)) released.add(node);
      });
      ChunkStatus.Memory memory = await(metadata.chunk(chunk)).memory();
      assertEquals(1, memory.wanted());
      assertEquals(1, memory.nodes().size(), "back to min: " + memory.nodes());
      assertEquals(2, released.size(), "the other two were told to release: " + released);
      assertTrue(!released.contains(memory.nodes().get(0)), "the holder left is not one released");
      return null;
    });
  }

  @Test
  void shouldLeaveOutANodeThatCannotHoldTheChunk() throws Exception {
    ChunkId chunk = committedChunk("/elastic/refused.bin", Policy.parse("cache(2,2)"));
    Agent a = new Agent("node-a", true);
    Agent b = new Agent("node-b", false);
    TfsPath path = TfsPath.parse("/elastic/refused.bin");

    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      metadata.reportReads(chunk, "node-a", path, 1, 200, a.ref);
      metadata.reportReads(chunk, "node-b", path, 1, 200, b.ref);
      assertTrue(b.holds.get() > 0, "node-b was asked");
      ChunkStatus.Memory memory = await(metadata.chunk(chunk)).memory();
      assertEquals(2, memory.wanted());
      assertEquals(List.of("node-a"), memory.nodes(), "node-b refused (its cache is full)");
      return null;
    });
  }

  @Test
  void shouldIgnoreReadReportsOfOtherPolicies() throws Exception {
    ChunkId chunk = committedChunk("/elastic/persistent.bin", Policy.PERSISTENT);
    TestProbe<MemoryReplicaProtocol.Command> a = testKit.createTestProbe();

    metadata.reportReads(chunk, "node-a", TfsPath.parse("/elastic/persistent.bin"), 1000, 200, a.ref());

    a.expectNoMessage(Duration.ofMillis(600)); // no hold asked
    assertEquals(ChunkStatus.Memory.NONE, await(metadata.chunk(chunk)).memory());
  }
}
