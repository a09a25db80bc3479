package io.tensorfs.sharding.kv;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.replication.Peers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KvBlocks} over the cluster's in-memory index and the blocks held by the nodes that took their puts.
 * A put keeps the bytes here under a new block id and then points the key's index entry at it (the old
 * block, when held here, is dropped at once; one held by another node ages out of its memory). A get asks
 * the index, then reads the block from this node's memory or over the chunk transport from its holder, and
 * answers it only if the holder still has that block id and the bytes match the entry's length and CRC32C;
 * anything else is a miss (the index is told to forget a block its holder lost). A get that races a re-put
 * of the same key and finds the old block gone asks the index once more. Thread-safe; holds no per-request
 * state.
 */
public final class ShardedKvBlocks implements KvBlocks {
  private static final Logger log = LoggerFactory.getLogger(ShardedKvBlocks.class);

  private final String nodeId;
  private final KvNode node;
  private final KvIndex index;
  private final KvBlockStore blocks;
  private final KvSettings settings;
  private final Peers peers;
  private final Materializer materializer;

  /** @param peers this node's view of the other nodes and the transport to them */
  public ShardedKvBlocks(KvNode node, Peers peers, Materializer materializer) {
    this.nodeId = peers.selfId();
    this.node = node;
    this.index = node.index();
    this.blocks = node.blocks();
    this.settings = node.settings();
    this.peers = peers;
    this.materializer = materializer;
  }

  @Override
  public CompletionStage<Done> put(String tenant, String key, ByteString bytes) {
    try {
      check(tenant, key);
      checkLength(bytes.size());
      FileId blockId = node.newBlockId();
      KvEntry entry = new KvEntry(nodeId, blockId, bytes.size(), crcOf(bytes));
      blocks.put(tenant, key, blockId, bytes);
      return point(tenant, key, entry);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Points the key at a block listed here; when the index refuses, the block is dropped again. */
  private CompletionStage<Done> point(String tenant, String key, KvEntry entry) {
    return index.put(tenant, key, entry).handle((old, e) -> {
      if (e != null) {
        blocks.remove(entry.blockId());
        throw e instanceof CompletionException c ? c : new CompletionException(e);
      }
      old.ifPresent(o -> {
        if (o.holder().equals(nodeId)) blocks.remove(o.blockId());
      });
      return Done.getInstance();
    });
  }

  /**
   * Room in the node's pinned pages: the caller fills it and {@link KvReservation#commit() commits}, which
   * lists the block and points the key at it, or aborts, which gives the memory back.
   */
  @Override
  public KvReservation reserve(String tenant, String key, long length) {
    check(tenant, key);
    checkLength(length);
    KvBlockStore.Room room = blocks.allocate(tenant, key, node.newBlockId(), length);
    List<ByteBuffer> buffers = room.buffers();
    return new KvReservation() {
      private boolean ended;

      @Override public long length() { return length; }
      @Override public List<ByteBuffer> buffers() { return buffers; }
      @Override public boolean pinned() { return true; }

      @Override
      public CompletionStage<Done> commit() {
        if (ended) return CompletableFuture.failedFuture(new IllegalStateException("reservation already ended"));
        ended = true;
        try {
          int crc = crcOf(room.buffers());
          room.publish();
          return point(tenant, key, new KvEntry(nodeId, room.blockId(), length, crc));
        } catch (RuntimeException e) {
          room.discard();
          return CompletableFuture.failedFuture(e);
        }
      }

      @Override
      public void abort() {
        ended = true;
        room.discard();
      }
    };
  }

  @Override
  public CompletionStage<Optional<ByteString>> get(String tenant, String key) {
    return hold(tenant, List.of(key)).thenApply(held -> held.get(0).map(h -> {
      try (h) {
        return copyOf(h);
      }
    }));
  }

  /**
   * Holds each key's block: one held here is a view of its pinned pages (verified by length and CRC32C, kept
   * until closed); one held by another node is fetched over the chunk transport into the heap.
   */
  @Override
  public CompletionStage<List<Optional<KvHeld>>> hold(String tenant, List<String> keys) {
    try {
      for (String k : keys) check(tenant, k);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return index.lookupAll(tenant, keys).thenCompose(found -> {
      List<CompletableFuture<Optional<KvHeld>>> each = new ArrayList<>(keys.size());
      for (String key : keys) {
        KvEntry entry = found.get(key);
        each.add(entry == null
            ? CompletableFuture.completedFuture(Optional.empty())
            : read(tenant, key, entry).thenCompose(h -> h.isPresent()
                ? CompletableFuture.completedFuture(h)
                : again(tenant, key, entry)).toCompletableFuture());
      }
      return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
          .thenApply(x -> each.stream().map(f -> f.getNow(Optional.empty())).toList());
    });
  }

  /** A block that was gone: the key may have been put again meanwhile; read what it names now, once. */
  private CompletionStage<Optional<KvHeld>> again(String tenant, String key, KvEntry gone) {
    return index.lookup(tenant, key).thenCompose(now -> now.isEmpty() || now.get().blockId().equals(gone.blockId())
        ? CompletableFuture.completedFuture(Optional.<KvHeld>empty())
        : read(tenant, key, now.get()));
  }

  /** The entry's block, verified; empty when its holder no longer has it or it does not match. */
  private CompletionStage<Optional<KvHeld>> read(String tenant, String key, KvEntry entry) {
    if (entry.holder().equals(nodeId)) {
      Optional<KvBlockStore.Hold> held = blocks.hold(entry.blockId());
      if (held.isPresent() && !matches(held.get(), entry)) {
        held.get().close();
        held = Optional.empty();
      }
      if (held.isEmpty()) index.forget(tenant, key, entry.blockId());
      return CompletableFuture.completedFuture(held.map(PinnedHeld::new));
    }
    if (!peers.isLive(entry.holder())) return CompletableFuture.completedFuture(Optional.empty());
    CompletionStage<ByteString> fetched;
    try {
      fetched = peers.transport()
          .fetch(peers.endpointOf(entry.holder()), new ChunkId(entry.blockId(), 0), 0, entry.lengthBytes())
          .runFold(ByteString.emptyByteString(), ByteString::concat, materializer);
    } catch (TfsException e) {
      fetched = CompletableFuture.failedFuture(e);
    }
    return fetched.handle((bytes, e) -> {
      if (e != null) {
        log.debug("KV block {} of {}/{} not read from {}: {}", entry.blockId(), tenant, key, entry.holder(),
            e.toString());
        return Optional.<KvHeld>empty();
      }
      return Optional.of(bytes).filter(b -> matches(b, entry)).map(HeapHeld::new);
    });
  }

  /** A block held in this node's pages. */
  private static final class PinnedHeld implements KvHeld {
    private final KvBlockStore.Hold hold;

    PinnedHeld(KvBlockStore.Hold hold) {
      this.hold = hold;
    }

    @Override public long length() { return hold.length(); }
    @Override public List<ByteBuffer> buffers() { return hold.buffers(); }
    @Override public boolean pinned() { return true; }
    @Override public void close() { hold.close(); }
  }

  private static boolean matches(KvBlockStore.Hold held, KvEntry entry) {
    return held.length() == entry.lengthBytes() && crcOf(held.buffers()) == entry.crc32c();
  }

  private static ByteString copyOf(KvHeld held) {
    if (held instanceof HeapHeld heap) return heap.bytes();
    byte[] out = new byte[Math.toIntExact(held.length())];
    int at = 0;
    for (ByteBuffer b : held.buffers()) {
      int n = b.remaining();
      b.get(out, at, n);
      at += n;
    }
    return ByteString.fromArrayUnsafe(out);
  }

  private static boolean matches(ByteString bytes, KvEntry entry) {
    return bytes.size() == entry.lengthBytes() && crcOf(bytes) == entry.crc32c();
  }

  @Override
  public CompletionStage<KvPresence> exists(String tenant, List<String> keys) {
    try {
      for (String k : keys) check(tenant, k);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return index.lookupAll(tenant, keys).thenApply(found -> presence(keys, found));
  }

  private KvPresence presence(List<String> keys, Map<String, KvEntry> found) {
    List<Boolean> present = new ArrayList<>(keys.size());
    for (String k : keys) {
      KvEntry e = found.get(k);
      present.add(e != null && (e.holder().equals(nodeId) ? blocks.contains(e.blockId()) : peers.isLive(e.holder())));
    }
    return KvPresence.of(present);
  }

  @Override
  public CompletionStage<Boolean> remove(String tenant, String key) {
    try {
      check(tenant, key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return index.remove(tenant, key).thenApply(old -> {
      old.ifPresent(o -> {
        if (o.holder().equals(nodeId)) blocks.remove(o.blockId());
      });
      return old.isPresent();
    });
  }

  /** Forgets every key at once (one index call per key, all in flight together), dropping the blocks held here. */
  @Override
  public CompletionStage<List<Boolean>> removeAll(String tenant, List<String> keys) {
    try {
      for (String k : keys) check(tenant, k);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<CompletableFuture<Optional<KvEntry>>> removed = new ArrayList<>(keys.size());
    for (String key : keys) removed.add(index.remove(tenant, key).toCompletableFuture());
    return CompletableFuture.allOf(removed.toArray(CompletableFuture[]::new)).thenApply(x -> {
      List<FileId> here = new ArrayList<>();
      List<Boolean> held = new ArrayList<>(keys.size());
      for (CompletableFuture<Optional<KvEntry>> r : removed) {
        Optional<KvEntry> old = r.getNow(Optional.empty());
        old.filter(o -> o.holder().equals(nodeId)).ifPresent(o -> here.add(o.blockId()));
        held.add(old.isPresent());
      }
      blocks.removeAll(here);
      return held;
    });
  }

  @Override
  public long maxBlockBytes() {
    return settings.maxBlockBytes();
  }

  /** BAD_PATH unless {@code /tenant/key} is a valid path with the tenant as its first segment. */
  private static void check(String tenant, String key) {
    if (tenant == null || tenant.isEmpty() || tenant.contains("/")) {
      throw new TfsException(ErrorCode.BAD_PATH, "bad KV tenant: " + tenant);
    }
    if (key == null || key.isEmpty()) throw new TfsException(ErrorCode.BAD_PATH, "empty KV key");
    TfsPath.parse("/" + tenant + "/" + key);
  }

  private void checkLength(long length) {
    if (length < 0 || length > settings.maxBlockBytes()) {
      throw new TfsException(ErrorCode.TOO_LARGE, "a KV block of " + length + " bytes is more than the limit of "
          + settings.maxBlockBytes());
    }
  }

  private static int crcOf(ByteString bytes) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    for (ByteBuffer b : bytes.getByteBuffers()) c.update(b);
    return (int) c.getValue();
  }

  /** The CRC32C of the buffers' bytes in order, read without moving them. */
  private static int crcOf(List<ByteBuffer> buffers) {
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    for (ByteBuffer b : buffers) c.update(b.duplicate());
    return (int) c.getValue();
  }
}
