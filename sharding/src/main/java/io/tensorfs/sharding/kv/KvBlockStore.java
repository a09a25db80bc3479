package io.tensorfs.sharding.kv;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The KV blocks this node holds, in memory, by block id, bounded by bytes and by count: past either the
 * least recently used blocks are evicted (their owners hear of it, so the index forgets them). Also a
 * read-only {@link ChunkStore} of chunk index 0 of each block id, so that the chunk transport serves a
 * block to the other nodes as it serves any replica. Thread-safe (one lock; every call is short).
 */
public final class KvBlockStore implements ChunkStore {
  /** The store id the transport sees. */
  public static final String ID = "kv-memory";

  /** One held block: whose key it is, and its bytes. */
  public record Held(String tenant, String key, FileId blockId, ByteString bytes) {}

  private final long memoryBytes;
  private final int maxBlocks;
  private final Consumer<Held> onEvicted;
  /** Access order: the eldest is the least recently used. Guarded by this. */
  private final LinkedHashMap<FileId, Held> blocks = new LinkedHashMap<>(1024, 0.75f, true);
  private long heldBytes;
  private long evictions;

  /**
   * @param onEvicted told of each block evicted to make room (not of those removed or replaced), outside
   *     the lock
   */
  public KvBlockStore(long memoryBytes, int maxBlocks, Consumer<Held> onEvicted) {
    this.memoryBytes = memoryBytes;
    this.maxBlocks = maxBlocks;
    this.onEvicted = onEvicted;
  }

  /** Holds {@code block}, evicting others as needed; NO_SPACE when it alone is larger than the memory. */
  public void put(Held block) {
    long size = block.bytes().size();
    if (size > memoryBytes) {
      throw new TfsException(ErrorCode.NO_SPACE, "a block of " + size + " bytes is more than the "
          + memoryBytes + " bytes KV blocks may hold on this node");
    }
    List<Held> evicted = new ArrayList<>();
    synchronized (this) {
      Held old = blocks.put(block.blockId(), block);
      if (old != null) heldBytes -= old.bytes().size();
      heldBytes += size;
      Iterator<Held> eldest = blocks.values().iterator();
      while ((heldBytes > memoryBytes || blocks.size() > maxBlocks) && eldest.hasNext()) {
        Held e = eldest.next();
        if (e == block) continue;
        eldest.remove();
        heldBytes -= e.bytes().size();
        evicted.add(e);
      }
      evictions += evicted.size();
    }
    for (Held e : evicted) onEvicted.accept(e);
  }

  /** The block's bytes, if held; counts as a use. */
  public synchronized Optional<ByteString> get(FileId blockId) {
    Held h = blocks.get(blockId);
    return h == null ? Optional.empty() : Optional.of(h.bytes());
  }

  public synchronized boolean contains(FileId blockId) {
    return blocks.containsKey(blockId);
  }

  /** Drops a block (replaced or removed); absent is fine. */
  public synchronized void remove(FileId blockId) {
    Held h = blocks.remove(blockId);
    if (h != null) heldBytes -= h.bytes().size();
  }

  public synchronized long heldBytes() {
    return heldBytes;
  }

  public synchronized int heldBlocks() {
    return blocks.size();
  }

  /** Blocks evicted to make room since start. */
  public synchronized long evictions() {
    return evictions;
  }

  // ---- the chunk transport's view: chunk 0 of each block id

  @Override
  public String id() {
    return ID;
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    Optional<ByteString> bytes = chunk.index() == 0 ? get(chunk.fileId()) : Optional.empty();
    if (bytes.isEmpty()) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no KV block " + chunk.fileId()));
    }
    ByteString b = bytes.get();
    int from = (int) Math.min(offset, b.size());
    return CompletableFuture.completedFuture(b.slice(from, (int) Math.min(b.size(), (long) from + length)));
  }

  @Override
  public Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length) {
    return Source.completionStage(read(chunk, offset, (int) Math.min(Integer.MAX_VALUE, length)))
        .filter(b -> !b.isEmpty());
  }

  @Override
  public Path directory() {
    throw new UnsupportedOperationException("KV blocks are held in memory");
  }

  @Override
  public int blockBytes() {
    return 0;
  }

  @Override
  public ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable) {
    throw new TfsException(ErrorCode.BAD_REQUEST, "KV blocks are put through the KV index, not pushed");
  }

  @Override
  public CompletionStage<Done> deleteFile(FileId file) {
    remove(file);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<Map<FileId, StoredFile>> scan() {
    return CompletableFuture.completedFuture(Map.of());
  }

  @Override
  public long usableBytes() {
    return 0;
  }
}
