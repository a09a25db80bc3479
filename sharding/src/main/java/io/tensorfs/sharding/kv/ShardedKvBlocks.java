package io.tensorfs.sharding.kv;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.replication.Peers;
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
      if (bytes.size() > settings.maxBlockBytes()) {
        throw new TfsException(ErrorCode.TOO_LARGE, "a KV block of " + bytes.size() + " bytes is more than the limit of "
            + settings.maxBlockBytes());
      }
      FileId blockId = node.newBlockId();
      KvEntry entry = new KvEntry(nodeId, blockId, bytes.size(), crcOf(bytes));
      blocks.put(new KvBlockStore.Held(tenant, key, blockId, bytes.compact()));
      return index.put(tenant, key, entry).handle((old, e) -> {
        if (e != null) {
          blocks.remove(blockId);
          throw e instanceof CompletionException c ? c : new CompletionException(e);
        }
        old.ifPresent(o -> {
          if (o.holder().equals(nodeId)) blocks.remove(o.blockId());
        });
        return Done.getInstance();
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<Optional<ByteString>> get(String tenant, String key) {
    try {
      check(tenant, key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return index.lookup(tenant, key).thenCompose(entry -> entry.isEmpty()
        ? CompletableFuture.completedFuture(Optional.<ByteString>empty())
        : read(tenant, key, entry.get()).thenCompose(bytes -> bytes.isPresent()
            ? CompletableFuture.completedFuture(bytes)
            : again(tenant, key, entry.get())));
  }

  /** A block that was gone: the key may have been put again meanwhile; read what it names now, once. */
  private CompletionStage<Optional<ByteString>> again(String tenant, String key, KvEntry gone) {
    return index.lookup(tenant, key).thenCompose(now -> now.isEmpty() || now.get().blockId().equals(gone.blockId())
        ? CompletableFuture.completedFuture(Optional.<ByteString>empty())
        : read(tenant, key, now.get()));
  }

  /** The entry's block, verified; empty when its holder no longer has it or it does not match. */
  private CompletionStage<Optional<ByteString>> read(String tenant, String key, KvEntry entry) {
    if (entry.holder().equals(nodeId)) {
      Optional<ByteString> held = blocks.get(entry.blockId()).filter(b -> matches(b, entry));
      if (held.isEmpty()) index.forget(tenant, key, entry.blockId());
      return CompletableFuture.completedFuture(held);
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
        return Optional.<ByteString>empty();
      }
      return Optional.of(bytes).filter(b -> matches(b, entry));
    });
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

  private static int crcOf(ByteString bytes) {
    return Crc32c.of(bytes.asByteBuffer());
  }
}
