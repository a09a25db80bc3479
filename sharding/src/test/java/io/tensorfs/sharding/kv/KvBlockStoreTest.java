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
import io.tensorfs.core.testing.Awaits;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The blocks a node holds: bounds by bytes and by count, least recently used evicted first, the store view. */
class KvBlockStoreTest {
  private static KvBlockStore.Held block(String key, int bytes) {
    return new KvBlockStore.Held("t", key, FileId.random(), ByteString.fromArray(new byte[bytes]));
  }

  @Test
  void shouldEvictTheLeastRecentlyUsedBlocksWhenTheMemoryIsFull() {
    List<KvBlockStore.Held> evicted = new ArrayList<>();
    KvBlockStore store = new KvBlockStore(100, 1000, evicted::add);
    var a = block("a", 40);
    var b = block("b", 40);
    store.put(a);
    store.put(b);
    store.get(a.blockId()); // a used after b: b goes first
    var c = block("c", 40);
    store.put(c);
    assertEquals(List.of(b), evicted);
    assertTrue(store.contains(a.blockId()));
    assertFalse(store.contains(b.blockId()));
    assertEquals(80, store.heldBytes());
    assertEquals(1, store.evictions());
  }

  @Test
  void shouldEvictPastTheBlockCount() {
    List<KvBlockStore.Held> evicted = new ArrayList<>();
    KvBlockStore store = new KvBlockStore(1 << 20, 2, evicted::add);
    var a = block("a", 1);
    store.put(a);
    store.put(block("b", 1));
    store.put(block("c", 1));
    assertEquals(List.of(a), evicted);
    assertEquals(2, store.heldBlocks());
  }

  @Test
  void shouldRefuseABlockLargerThanTheMemory() {
    KvBlockStore store = new KvBlockStore(10, 10, e -> {});
    TfsException e = assertThrows(TfsException.class, () -> store.put(block("a", 11)));
    assertEquals(ErrorCode.NO_SPACE, e.code());
    assertEquals(0, store.heldBytes());
  }

  @Test
  void shouldNotReportARemovedBlockAsEvicted() {
    List<KvBlockStore.Held> evicted = new ArrayList<>();
    KvBlockStore store = new KvBlockStore(100, 100, evicted::add);
    var a = block("a", 10);
    store.put(a);
    store.remove(a.blockId());
    assertEquals(Optional.empty(), store.get(a.blockId()));
    assertEquals(List.of(), evicted);
    assertEquals(0, store.heldBytes());
  }

  @Test
  void shouldServeChunkZeroOfAHeldBlockAndNotFoundForAnyOther() {
    KvBlockStore store = new KvBlockStore(100, 100, e -> {});
    var a = new KvBlockStore.Held("t", "a", FileId.random(), ByteString.fromString("hello"));
    store.put(a);
    assertEquals(ByteString.fromString("ell"), Awaits.await(store.read(new ChunkId(a.blockId(), 0), 1, 3)));
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(TfsException.class,
        Awaits.failure(store.read(new ChunkId(a.blockId(), 1), 0, 3))).code());
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(TfsException.class,
        Awaits.failure(store.read(new ChunkId(FileId.random(), 0), 0, 3))).code());
  }
}
