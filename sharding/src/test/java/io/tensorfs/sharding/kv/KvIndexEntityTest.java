package io.tensorfs.sharding.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.FileId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One bucket of the KV index: replace, remove, conditional forget, lookups of many keys, its bound. */
class KvIndexEntityTest {
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("kv-index");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static KvEntry entry(String holder) {
    return new KvEntry(holder, FileId.random(), 3, 42);
  }

  private static Optional<KvEntry> put(ActorRef<KvIndexEntity.Command> bucket, String key, KvEntry e) {
    TestProbe<KvIndexEntity.Previous> probe = testKit.createTestProbe();
    bucket.tell(new KvIndexEntity.Put(key, e, probe.ref()));
    return probe.receiveMessage().entry();
  }

  private static Optional<KvEntry> lookup(ActorRef<KvIndexEntity.Command> bucket, String key) {
    TestProbe<KvIndexEntity.Found> probe = testKit.createTestProbe();
    bucket.tell(new KvIndexEntity.Lookup(key, probe.ref()));
    return probe.receiveMessage().entry();
  }

  @Test
  void shouldAnswerTheReplacedEntryWhenAKeyIsPutAgain() {
    var bucket = testKit.spawn(KvIndexEntity.create("t/0", new KvBuckets(), 100));
    KvEntry first = entry("node-a");
    KvEntry second = entry("node-b");
    assertEquals(Optional.empty(), put(bucket, "k", first));
    assertEquals(Optional.of(first), put(bucket, "k", second));
    assertEquals(Optional.of(second), lookup(bucket, "k"));
  }

  @Test
  void shouldForgetAKeyOnRemoveAndAnswerWhatItHad() {
    var bucket = testKit.spawn(KvIndexEntity.create("t/0", new KvBuckets(), 100));
    KvEntry e = entry("node-a");
    put(bucket, "k", e);
    TestProbe<KvIndexEntity.Previous> probe = testKit.createTestProbe();
    bucket.tell(new KvIndexEntity.Remove("k", probe.ref()));
    assertEquals(Optional.of(e), probe.receiveMessage().entry());
    bucket.tell(new KvIndexEntity.Remove("k", probe.ref()));
    assertEquals(Optional.empty(), probe.receiveMessage().entry());
    assertEquals(Optional.empty(), lookup(bucket, "k"));
  }

  @Test
  void shouldForgetOnlyTheBlockNamedWhenAHolderLosesIt() {
    var bucket = testKit.spawn(KvIndexEntity.create("t/0", new KvBuckets(), 100));
    KvEntry old = entry("node-a");
    KvEntry current = entry("node-a");
    put(bucket, "k", old);
    put(bucket, "k", current);
    bucket.tell(new KvIndexEntity.Forget("k", old.blockId())); // the old block's loss must not drop the new entry
    assertEquals(Optional.of(current), lookup(bucket, "k"));
    bucket.tell(new KvIndexEntity.Forget("k", current.blockId()));
    assertEquals(Optional.empty(), lookup(bucket, "k"));
  }

  @Test
  void shouldAnswerOnlyThePresentKeysOfALookupOfMany() {
    var bucket = testKit.spawn(KvIndexEntity.create("t/0", new KvBuckets(), 100));
    KvEntry a = entry("node-a");
    KvEntry c = entry("node-a");
    put(bucket, "a", a);
    put(bucket, "c", c);
    TestProbe<KvIndexEntity.FoundAll> probe = testKit.createTestProbe();
    bucket.tell(new KvIndexEntity.LookupAll(List.of("a", "b", "c"), probe.ref()));
    assertEquals(Map.of("a", a, "c", c), probe.receiveMessage().entries());
  }

  @Test
  void shouldRegisterItsBucketWhileItRunsAndCloseItWhenItStops() {
    KvBuckets buckets = new KvBuckets();
    var entity = testKit.spawn(KvIndexEntity.create("t/7", buckets, 100));
    KvEntry e = entry("node-a");
    put(entity, "k", e);
    KvBucket bucket = buckets.local("t/7");
    assertEquals(Optional.of(e), bucket.get("k"), "callers on the node see the entity's entries directly");
    testKit.stop(entity);
    assertEquals(null, buckets.local("t/7"), "a stopped bucket is no longer reached directly");
    assertEquals(null, bucket.get("k"), "a caller holding the closed bucket learns it must ask elsewhere");
    assertEquals(null, bucket.put("k", e));
  }

  @Test
  void shouldForgetTheLeastRecentlyPutKeyPastItsBound() {
    var bucket = testKit.spawn(KvIndexEntity.create("t/0", new KvBuckets(), 2));
    KvEntry a = entry("node-a");
    put(bucket, "a", a);
    put(bucket, "b", entry("node-a"));
    KvEntry a2 = entry("node-a");
    put(bucket, "a", a2); // a is now the youngest
    put(bucket, "c", entry("node-a"));
    assertEquals(Optional.empty(), lookup(bucket, "b"));
    assertEquals(Optional.of(a2), lookup(bucket, "a"));
  }
}
