package io.tensorfs.sharding.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.sharding.ClusterTestConfig;
import io.tensorfs.sharding.replication.Peers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KV blocks over a one-node cluster in this JVM: put, replace, get, exists, remove, eviction, no stale hit. */
class ShardedKvBlocksTest {
  private static final String NODE = "node-a";
  private static ActorTestKit testKit;
  private static KvNode node;
  private static ShardedKvBlocks kv;

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create("kv", ConfigFactory.parseString("""
            tensorfs.kv.buckets = 4
            tensorfs.kv.memory = 64 KiB
            tensorfs.kv.max-block = 16 KiB
            """).withFallback(ClusterTestConfig.of(NODE)));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    node = KvNode.get(testKit.system());
    node.usePages(KvPages.from(PagePool.allocate(PagePoolSettings.regular(8L << 20, 2 << 20))));
    kv = new ShardedKvBlocks(node, new Peers(NODE), Materializer.matFromSystem(testKit.system()));
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  private static ByteString bytes(String s) {
    return ByteString.fromString(s);
  }

  private static Optional<ByteString> get(String tenant, String key) {
    return Awaits.await(kv.get(tenant, key));
  }

  @Test
  void shouldReturnExactlyTheBytesPutAndTheNewOnesAfterAReplace() {
    Awaits.await(kv.put("t", "model/layer0/block1", bytes("first")));
    assertEquals(Optional.of(bytes("first")), get("t", "model/layer0/block1"));
    FileId first = Awaits.await(node.index().lookup("t", "model/layer0/block1")).orElseThrow().blockId();
    Awaits.await(kv.put("t", "model/layer0/block1", bytes("second")));
    assertEquals(Optional.of(bytes("second")), get("t", "model/layer0/block1"));
    assertTrue(!node.blocks().contains(first), "the replaced block's bytes are dropped");
    assertEquals(Optional.empty(), get("other", "model/layer0/block1"), "tenants do not share keys");
  }

  @Test
  void shouldMissAfterRemoveAndAnswerWhetherItHeldTheKey() {
    Awaits.await(kv.put("t", "gone", bytes("x")));
    assertTrue(Awaits.await(kv.remove("t", "gone")));
    assertEquals(Optional.empty(), get("t", "gone"));
    assertEquals(false, Awaits.await(kv.remove("t", "gone")));
  }

  @Test
  void shouldAnswerPresenceAndThePresentPrefix() {
    Awaits.await(kv.put("p", "k0", bytes("a")));
    Awaits.await(kv.put("p", "k1", bytes("b")));
    Awaits.await(kv.put("p", "k3", bytes("d")));
    KvPresence p = Awaits.await(kv.exists("p", List.of("k0", "k1", "k2", "k3")));
    assertEquals(List.of(true, true, false, true), p.present());
    assertEquals(2, p.prefix());
    assertEquals(0, Awaits.await(kv.exists("p", List.of("none", "k0"))).prefix());
    assertEquals(new KvPresence(List.of(), 0), Awaits.await(kv.exists("p", List.of())));
  }

  @Test
  void shouldMissOnceABlockIsEvictedAndNotAnswerPresentForIt() {
    Awaits.await(kv.put("e", "first", ByteString.fromArray(new byte[16 << 10])));
    for (int i = 0; i < 8; i++) Awaits.await(kv.put("e", "filler" + i, ByteString.fromArray(new byte[16 << 10])));
    assertEquals(Optional.empty(), get("e", "first"));
    Awaits.until(() -> !Awaits.await(kv.exists("e", List.of("first"))).present().get(0), Duration.ofSeconds(10),
        "the index forgets the evicted block");
    assertTrue(node.blocks().heldBytes() <= 64 << 10);
  }

  @Test
  void shouldRefuseABadKeyAndABlockOverTheLimit() {
    assertEquals(ErrorCode.BAD_PATH, codeOf(kv.put("t", "a/../b", bytes("x"))));
    assertEquals(ErrorCode.BAD_PATH, codeOf(kv.put("t", "", bytes("x"))));
    assertEquals(ErrorCode.BAD_PATH, codeOf(kv.get("t/u", "k")));
    assertEquals(ErrorCode.TOO_LARGE, codeOf(kv.put("t", "big", ByteString.fromArray(new byte[(16 << 10) + 1]))));
  }

  @Test
  void shouldMissWhenTheEntryNamesANodeThatIsGoneOrBytesThatDoNotMatch() {
    Awaits.await(node.index().put("t", "elsewhere", new KvEntry("node-gone", FileId.random(), 1, 0)));
    assertEquals(Optional.empty(), get("t", "elsewhere"));
    assertEquals(List.of(false), Awaits.await(kv.exists("t", List.of("elsewhere"))).present());
    // An entry whose CRC does not match the held bytes is never answered.
    FileId id = FileId.random();
    node.blocks().put("t", "bent", id, bytes("abc"));
    Awaits.await(node.index().put("t", "bent", new KvEntry(NODE, id, 3, Crc32c.of(bytes("abd").asByteBuffer()))));
    assertEquals(Optional.empty(), get("t", "bent"));
  }

  @Test
  void shouldAnswerOnlyWholeBytesThatWerePutWhileReputsRaceGets() {
    String key = "raced";
    Set<ByteString> everPut = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<CompletableFuture<?>> all = new ArrayList<>();
    List<CompletableFuture<Optional<ByteString>>> reads = new ArrayList<>();
    // The bucket is started first: puts issued while it starts may be applied out of order (they are
    // concurrent, and either order is allowed), which would make "the last one wins" below untrue.
    Awaits.await(kv.put("r", key, bytes("start")));
    everPut.add(bytes("start"));
    ByteString last = null;
    for (int i = 0; i < 400; i++) {
      byte[] value = new byte[1 + ThreadLocalRandom.current().nextInt(2000)];
      ThreadLocalRandom.current().nextBytes(value);
      value[0] = (byte) i;
      ByteString b = ByteString.fromArray(value);
      everPut.add(b);
      last = b;
      all.add(kv.put("r", key, b).toCompletableFuture());
      for (int g = 0; g < 3; g++) reads.add(kv.get("r", key).toCompletableFuture());
    }
    all.addAll(reads);
    Awaits.await(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)));
    Set<ByteString> seen = new HashSet<>();
    for (var r : reads) {
      Optional<ByteString> got = r.join();
      got.ifPresent(b -> assertTrue(everPut.contains(b), "a hit returns bytes some put stored, whole"));
      got.ifPresent(seen::add);
    }
    assertTrue(!seen.isEmpty(), "some reads hit");
    // The puts were issued in order from one thread to one bucket: the last one wins.
    assertEquals(Optional.of(last), get("r", key));
  }

  @Test
  void shouldHoldLocalBlocksAsPinnedViewsThatOutliveARePut() {
    ByteString first = ByteString.fromArray(filled(10_000, (byte) 1));
    Awaits.await(kv.put("h", "k", first));
    List<Optional<KvHeld>> held = Awaits.await(kv.hold("h", List.of("k", "absent")));
    assertEquals(2, held.size());
    assertEquals(Optional.empty(), held.get(1));
    KvHeld h = held.get(0).orElseThrow();
    assertTrue(h.pinned());
    assertEquals(10_000, h.length());
    assertTrue(h.buffers().stream().allMatch(java.nio.ByteBuffer::isDirect));
    Awaits.await(kv.put("h", "k", ByteString.fromArray(filled(10_000, (byte) 2))));
    for (int i = 0; i < 2; i++) Awaits.await(kv.put("h", "filler" + i, ByteString.fromArray(filled(16 << 10, (byte) 3))));
    assertEquals(first, concat(h.buffers()), "a held block's bytes do not change while it is held");
    h.close();
    assertEquals(Optional.of(ByteString.fromArray(filled(10_000, (byte) 2))), get("h", "k"));
  }

  @Test
  void shouldPutWhatAReservationWasFilledWithOnlyOnCommit() {
    KvReservation r = kv.reserve("z", "filled", 9000);
    assertTrue(r.pinned());
    for (java.nio.ByteBuffer b : r.buffers()) {
      assertTrue(b.isDirect());
      while (b.hasRemaining()) b.put((byte) 5);
    }
    assertEquals(Optional.empty(), get("z", "filled"), "nothing is visible before the commit");
    Awaits.await(r.commit());
    assertEquals(Optional.of(ByteString.fromArray(filled(9000, (byte) 5))), get("z", "filled"));
    long allocated = node.blocks().allocatedBytes();
    KvReservation dropped = kv.reserve("z", "dropped", 9000);
    dropped.abort();
    assertEquals(allocated, node.blocks().allocatedBytes(), "an aborted reservation gives its memory back");
    assertEquals(Optional.empty(), get("z", "dropped"));
    assertEquals(ErrorCode.TOO_LARGE, assertInstanceOf(TfsException.class,
        org.junit.jupiter.api.Assertions.assertThrows(TfsException.class, () -> kv.reserve("z", "big", (16 << 10) + 1))).code());
  }

  @Test
  void shouldRemoveAllKeysAtOnceSayingWhichHeldABlock() {
    Awaits.await(kv.put("m", "a", bytes("1")));
    Awaits.await(kv.put("m", "c", bytes("3")));
    assertEquals(List.of(true, false, true), Awaits.await(kv.removeAll("m", List.of("a", "b", "c"))));
    assertEquals(List.of(false, false), Awaits.await(kv.exists("m", List.of("a", "c"))).present());
    assertEquals(Optional.empty(), get("m", "a"));
  }

  private static byte[] filled(int n, byte value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, value);
    return b;
  }

  private static ByteString concat(List<java.nio.ByteBuffer> buffers) {
    ByteString out = ByteString.emptyByteString();
    for (java.nio.ByteBuffer b : buffers) out = out.concat(ByteString.fromByteBuffer(b.duplicate()));
    return out;
  }

  private static ErrorCode codeOf(java.util.concurrent.CompletionStage<?> stage) {
    return assertInstanceOf(TfsException.class, Awaits.failure(stage)).code();
  }
}
