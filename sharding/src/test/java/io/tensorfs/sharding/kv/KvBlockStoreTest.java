package io.tensorfs.sharding.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.testing.Awaits;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The blocks a node holds in pool pages: bounds by bytes and by count, least recently used evicted first
 * (never one a reader holds), holds delaying reuse, reserved room, the store view.
 */
class KvBlockStoreTest {
  private static final int PAGE = 2 << 20;
  private final PagePool pool = PagePool.allocate(PagePoolSettings.regular(4L * PAGE, PAGE));

  private KvBlockStore store(long memory, int maxBlocks, List<KvBlockStore.Evicted> evicted) {
    KvBlockStore s = new KvBlockStore(memory, maxBlocks, evicted::add);
    s.usePages(KvPages.from(pool));
    return s;
  }

  private static FileId put(KvBlockStore store, String key, int bytes) {
    FileId id = FileId.random();
    byte[] b = new byte[bytes];
    java.util.Arrays.fill(b, (byte) key.hashCode());
    store.put("t", key, id, ByteString.fromArray(b));
    return id;
  }

  @Test
  void shouldEvictTheLeastRecentlyUsedBlocksWhenTheMemoryIsFull() {
    List<KvBlockStore.Evicted> evicted = new ArrayList<>();
    KvBlockStore store = store(100 << 10, 1000, evicted);
    FileId a = put(store, "a", 40 << 10);
    FileId b = put(store, "b", 40 << 10);
    store.get(a); // a used after b: b goes first
    put(store, "c", 40 << 10);
    assertEquals(List.of(new KvBlockStore.Evicted("t", "b", b)), evicted);
    assertTrue(store.contains(a));
    assertFalse(store.contains(b));
    assertEquals(80 << 10, store.heldBytes());
    assertEquals(80 << 10, store.allocatedBytes());
    assertEquals(1, store.evictions());
  }

  @Test
  void shouldEvictPastTheBlockCount() {
    List<KvBlockStore.Evicted> evicted = new ArrayList<>();
    KvBlockStore store = store(1 << 20, 2, evicted);
    FileId a = put(store, "a", 1);
    put(store, "b", 1);
    put(store, "c", 1);
    assertEquals(List.of(new KvBlockStore.Evicted("t", "a", a)), evicted);
    assertEquals(2, store.heldBlocks());
  }

  @Test
  void shouldRefuseABlockLargerThanTheMemoryAndPutsBeforeItHasPages() {
    KvBlockStore store = store(8 << 10, 10, new ArrayList<>());
    TfsException e = assertThrows(TfsException.class, () -> put(store, "a", (8 << 10) + 1));
    assertEquals(ErrorCode.NO_SPACE, e.code());
    assertEquals(0, store.heldBytes());
    KvBlockStore bare = new KvBlockStore(8 << 10, 10, x -> {});
    assertEquals(ErrorCode.UNAVAILABLE, assertThrows(TfsException.class, () -> put(bare, "a", 1)).code());
  }

  @Test
  void shouldNotReportARemovedBlockAsEvictedAndGiveItsPageBackToThePool() {
    List<KvBlockStore.Evicted> evicted = new ArrayList<>();
    KvBlockStore store = store(1 << 20, 100, evicted);
    int free = pool.freePages();
    FileId a = put(store, "a", 10);
    assertEquals(free - 1, pool.freePages());
    store.remove(a);
    assertEquals(Optional.empty(), store.get(a));
    assertEquals(List.of(), evicted);
    assertEquals(0, store.heldBytes());
    assertEquals(free, pool.freePages(), "an emptied page goes back to the pool");
  }

  @Test
  void shouldKeepAHeldBlocksBytesUntilTheLastHoldClosesAndNeverEvictAHeldBlock() {
    List<KvBlockStore.Evicted> evicted = new ArrayList<>();
    KvBlockStore store = store(64 << 10, 100, evicted);
    FileId a = put(store, "a", 32 << 10);
    KvBlockStore.Hold h1 = store.hold(a).orElseThrow();
    KvBlockStore.Hold h2 = store.hold(a).orElseThrow();
    ByteString before = h1.copy();
    store.remove(a);
    assertEquals(32 << 10, store.allocatedBytes(), "removed but held: its memory is not reused");
    FileId b = put(store, "b", 32 << 10);
    FileId c = put(store, "c", 32 << 10); // no room while a is held: b is evicted for it
    assertEquals(List.of(new KvBlockStore.Evicted("t", "b", b)), evicted);
    assertEquals(64 << 10, store.allocatedBytes());
    h1.close();
    h1.close();
    assertEquals(before, h2.copy(), "the bytes stay while a hold is open");
    h2.close();
    assertEquals(32 << 10, store.allocatedBytes(), "the last close frees a's memory");

    FileId d = put(store, "d", 16 << 10);
    try (KvBlockStore.Hold held = store.hold(d).orElseThrow()) {
      assertTrue(held.buffers().get(0).isDirect());
      assertTrue(held.buffers().get(0).isReadOnly());
      put(store, "e", 48 << 10); // c goes (least recently used and not held); the held d stays
      assertTrue(store.contains(d));
      assertFalse(store.contains(c));
      assertThrows(TfsException.class, () -> put(store, "f", 64 << 10), "only the held d could make room");
      assertTrue(store.contains(d));
    }
  }

  @Test
  void shouldListReservedRoomOnlyWhenPublishedAndFreeItOnDiscard() {
    KvBlockStore store = store(1 << 20, 100, new ArrayList<>());
    FileId id = FileId.random();
    KvBlockStore.Room room = store.allocate("t", "r", id, 10_000);
    List<ByteBuffer> buffers = room.buffers();
    assertEquals(10_000, buffers.stream().mapToInt(ByteBuffer::remaining).sum());
    assertTrue(buffers.get(0).isDirect());
    assertFalse(store.contains(id));
    for (ByteBuffer b : buffers) while (b.hasRemaining()) b.put((byte) 7);
    room.publish();
    ByteString got = store.get(id).orElseThrow();
    assertEquals(10_000, got.size());
    for (byte x : got.toArray()) assertEquals(7, x);
    KvBlockStore.Room dropped = store.allocate("t", "s", FileId.random(), 10_000);
    long allocated = store.allocatedBytes();
    dropped.discard();
    assertEquals(allocated - 12288, store.allocatedBytes());
  }

  @Test
  void shouldServeChunkZeroOfAHeldBlockAndNotFoundForAnyOther() {
    KvBlockStore store = store(1 << 20, 100, new ArrayList<>());
    FileId a = FileId.random();
    store.put("t", "a", a, ByteString.fromString("hello"));
    assertEquals(ByteString.fromString("ell"), Awaits.await(store.read(new ChunkId(a, 0), 1, 3)));
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(TfsException.class,
        Awaits.failure(store.read(new ChunkId(a, 1), 0, 3))).code());
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(TfsException.class,
        Awaits.failure(store.read(new ChunkId(FileId.random(), 0), 0, 3))).code());
  }
}
