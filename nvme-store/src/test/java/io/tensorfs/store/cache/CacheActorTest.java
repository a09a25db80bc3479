package io.tensorfs.store.cache;

import static io.tensorfs.store.cache.CacheFixture.OWNER;
import static io.tensorfs.store.cache.CacheFixture.PAGE;
import static io.tensorfs.store.cache.CacheFixture.randomBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.store.cache.CacheActor.WarmChunk;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path dir;
  private CacheFixture f;
  private ActorRef<CacheActor.Command> actor;

  @BeforeEach
  void start() {
    f = new CacheFixture(dir);
    actor = testKit.spawn(CacheActor.create(f.cache, "node-7"));
  }

  @AfterEach
  void stop() {
    testKit.stop(actor);
    f.close();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @Test
  void shouldWarmChunksAndReportTheOnesThatFailed() {
    FileId file = FileId.random();
    ChunkId present = new ChunkId(file, 0);
    ChunkId absent = new ChunkId(file, 1);
    f.writeReplica("d0", present, randomBytes(PAGE + 1, 1));
    TestProbe<CacheActor.Warmed> probe = testKit.createTestProbe();

    actor.tell(new CacheActor.Warm(List.of(
        new WarmChunk(present, PAGE + 1, OWNER, List.of("d0")),
        new WarmChunk(absent, 100, OWNER, List.of("d0", "d1"))), probe.getRef()));

    CacheActor.Warmed warmed = probe.receiveMessage();
    assertEquals("node-7", warmed.nodeId());
    assertEquals(1, warmed.loaded());
    assertEquals(1, warmed.failed());
    assertTrue(warmed.firstError().contains("NOT_FOUND"), warmed.firstError());
    assertEquals(Set.of(0), f.cache.residentChunks(file));
    assertEquals(2, f.heldPages());
    assertEquals(f.pool.pageCount() - 2, f.pool.freePages(), "the warm let go of its own handles");
  }

  @Test
  void shouldWarmNothingAndSayNoErrorWhenListIsEmpty() {
    TestProbe<CacheActor.Warmed> probe = testKit.createTestProbe();
    actor.tell(new CacheActor.Warm(List.of(), probe.getRef()));
    CacheActor.Warmed warmed = probe.receiveMessage();
    assertEquals(0, warmed.loaded() + warmed.failed());
    assertNull(warmed.firstError());
  }

  @Test
  void shouldPinDropAndReportStats() {
    FileId file = FileId.random();
    ChunkId chunk = new ChunkId(file, 0);
    f.writeReplica("d0", chunk, randomBytes(3 * PAGE, 2));
    TestProbe<Done> done = testKit.createTestProbe();
    TestProbe<CacheActor.Stats> stats = testKit.createTestProbe();

    actor.tell(new CacheActor.Pin(file, true, done.getRef()));
    done.expectMessage(Done.done());
    f.load(chunk, 3 * PAGE, "d0").release();
    actor.tell(new CacheActor.GetStats(stats.getRef()));
    CacheActor.Stats pinned = stats.receiveMessage();
    assertEquals("node-7", pinned.nodeId());
    assertEquals(3L * PAGE, pinned.stats().pinnedBytes());
    assertEquals(1, pinned.stats().files());

    actor.tell(new CacheActor.Pin(file, false, done.getRef()));
    done.expectMessage(Done.done());
    actor.tell(new CacheActor.GetStats(stats.getRef()));
    assertEquals(0, stats.receiveMessage().stats().pinnedBytes());

    actor.tell(new CacheActor.Drop(file, done.getRef()));
    done.expectMessage(Done.done());
    assertFalse(f.cache.contains(chunk));
    actor.tell(new CacheActor.GetStats(stats.getRef()));
    CacheStats after = stats.receiveMessage().stats();
    assertEquals(0, after.usedBytes());
    assertEquals(0, after.files());
  }

  @Test
  void shouldSerializeMessagesThatCrossNodes() {
    var serialization = testKit.serializationTestKit();
    TestProbe<Object> any = testKit.createTestProbe();
    FileId file = FileId.random();
    List<Object> messages = List.of(
        new CacheActor.Warm(List.of(new WarmChunk(new ChunkId(file, 3), 42, OWNER, List.of("d0", "d1"))),
            any.<CacheActor.Warmed>getRef().unsafeUpcast()),
        new CacheActor.Warmed("node-7", 1, 2, "chunk x: NOT_FOUND"),
        new CacheActor.Drop(file, any.<Done>getRef().unsafeUpcast()),
        new CacheActor.Pin(file, true, any.<Done>getRef().unsafeUpcast()),
        new CacheActor.Stats("node-7", new CacheStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "thp")));
    for (Object m : messages) assertEquals(m, serialization.verifySerialization(m, false));
  }

  @Test
  void shouldBeFoundThroughTheReceptionist() {
    TestProbe<Receptionist.Listing> probe = testKit.createTestProbe();
    probe.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(CacheActor.KEY, probe.getRef()));
      Receptionist.Listing listing = probe.receiveMessage();
      assertTrue(listing.getServiceInstances(CacheActor.KEY).contains(actor));
      return null;
    });
  }
}
