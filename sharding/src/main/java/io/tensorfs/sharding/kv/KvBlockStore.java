package io.tensorfs.sharding.kv;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import io.tensorfs.store.ChunkWriter;
import java.nio.ByteBuffer;
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
 * The KV blocks this node holds, by block id, in pages of the node's page pool ({@link KvSlab}: 4 KiB
 * grains, so a block's memory is its length rounded up to 4 KiB), bounded by bytes ({@code tensorfs.kv.memory})
 * and by count: past either, whole least recently used blocks are evicted (their owners hear of it, so the
 * index forgets them). A block is reference counted: the store holds one reference while the block is
 * listed, every {@link #hold} one more; its memory is reused only after the last is given back, so a held
 * block's bytes never change under its reader. Also a read-only {@link ChunkStore} of chunk index 0 of each
 * block id, so that the chunk transport serves a block to the other nodes as it serves any replica.
 * Thread-safe (one lock; every call under it is short: no copy of bytes is made under it).
 */
public final class KvBlockStore implements ChunkStore {
  /** The store id the transport sees. */
  public static final String ID = "kv-memory";

  /** A block evicted to make room: whose key it was. */
  public record Evicted(String tenant, String key, FileId blockId) {}

  /** One block's memory and listing. Its fields but {@code refs} are fixed; {@code refs} is guarded by the store. */
  private static final class Block {
    final String tenant;
    final String key;
    final FileId blockId;
    final long length;
    final List<KvExtent> extents;
    int refs = 1;

    Block(String tenant, String key, FileId blockId, long length, List<KvExtent> extents) {
      this.tenant = tenant;
      this.key = key;
      this.blockId = blockId;
      this.length = length;
      this.extents = extents;
    }
  }

  private final long memoryBytes;
  private final int maxBlocks;
  private final Consumer<Evicted> onEvicted;
  /** Access order: the eldest is the least recently used. Guarded by this. */
  private final LinkedHashMap<FileId, Block> blocks = new LinkedHashMap<>(1024, 0.75f, true);
  private KvSlab slab;
  private long heldBytes;
  private long evictions;

  /**
   * @param onEvicted told of each block evicted to make room (not of those removed or replaced), outside
   *     the lock
   */
  public KvBlockStore(long memoryBytes, int maxBlocks, Consumer<Evicted> onEvicted) {
    this.memoryBytes = memoryBytes;
    this.maxBlocks = maxBlocks;
    this.onEvicted = onEvicted;
  }

  /** Where blocks get their memory; the first call wins. Until then every put fails UNAVAILABLE. */
  public synchronized void usePages(KvPages pages) {
    if (slab == null) slab = new KvSlab(pages, memoryBytes);
  }

  /** A block's memory, allocated but not listed: {@link #publish} lists it, {@link #discard} gives it back. */
  public final class Room {
    private final Block block;
    private boolean done;

    private Room(Block block) {
      this.block = block;
    }

    public FileId blockId() {
      return block.blockId;
    }

    /** Writable direct buffers over the block's memory, in order, adding up to its length. */
    public List<ByteBuffer> buffers() {
      return views(block, false);
    }

    /** Lists the block (evicting the least recently used past the count bound). */
    public void publish() {
      List<Evicted> evicted = new ArrayList<>();
      synchronized (KvBlockStore.this) {
        if (done) throw new IllegalStateException("room already published or discarded");
        done = true;
        Block old = blocks.put(block.blockId, block);
        if (old != null) unlist(old);
        heldBytes += block.length;
        while (blocks.size() > maxBlocks && evictOne(block, evicted)) {
          // evicted one more
        }
      }
      tell(evicted);
    }

    /** Gives the memory back; nothing is listed. Idempotent, and nothing after {@link #publish}. */
    public void discard() {
      synchronized (KvBlockStore.this) {
        if (done) return;
        done = true;
        release(block);
      }
    }
  }

  /**
   * Memory for a block of {@code length} bytes under a new {@code blockId}, evicting least recently used
   * blocks not held by a reader as needed. NO_SPACE when it is larger than the memory, or when what is held
   * by readers (or the pool, lent to the chunk cache) leaves no room; UNAVAILABLE before {@link #usePages}.
   */
  public Room allocate(String tenant, String key, FileId blockId, long length) {
    List<Evicted> evicted = new ArrayList<>();
    try {
      synchronized (this) {
        if (slab == null) throw new TfsException(ErrorCode.UNAVAILABLE, "KV blocks have no memory on this node yet");
        if (!slab.couldHold(length)) {
          throw new TfsException(ErrorCode.NO_SPACE, "a block of " + length + " bytes is more than the "
              + memoryBytes + " bytes KV blocks may hold on this node");
        }
        while (true) {
          List<KvExtent> extents = slab.allocate(length);
          if (extents != null) return new Room(new Block(tenant, key, blockId, length, extents));
          if (!evictOne(null, evicted)) {
            throw new TfsException(ErrorCode.NO_SPACE, "no memory for a KV block of " + length + " bytes: "
                + slab.allocatedBytes() + " bytes are held by blocks being read or written, or the page pool is "
                + "pinned by the chunk cache");
          }
        }
      }
    } finally {
      tell(evicted);
    }
  }

  /** Holds {@code bytes} under {@code blockId}: allocates, copies and lists. */
  public void put(String tenant, String key, FileId blockId, ByteString bytes) {
    Room room = allocate(tenant, key, blockId, bytes.size());
    try {
      int at = 0;
      for (ByteBuffer b : room.buffers()) {
        int n = b.remaining();
        bytes.slice(at, at + n).copyToBuffer(b);
        at += n;
      }
    } catch (RuntimeException e) {
      room.discard();
      throw e;
    }
    room.publish();
  }

  /**
   * A reader's hold on a listed block: its bytes stay as they are until {@link #close}. Not thread-safe;
   * close once (more closes do nothing).
   */
  public final class Hold implements AutoCloseable {
    private final Block block;
    private boolean closed;

    private Hold(Block block) {
      this.block = block;
    }

    public long length() {
      return block.length;
    }

    /** Read-only direct buffers over the block's memory, in order. Valid until {@link #close}. */
    public List<ByteBuffer> buffers() {
      return views(block, true);
    }

    /** The bytes copied to the heap. */
    public ByteString copy() {
      byte[] out = new byte[Math.toIntExact(block.length)];
      int at = 0;
      for (ByteBuffer b : buffers()) {
        int n = b.remaining();
        b.get(out, at, n);
        at += n;
      }
      return ByteString.fromArrayUnsafe(out);
    }

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      synchronized (KvBlockStore.this) {
        release(block);
      }
    }
  }

  /** A hold on the block, if listed; counts as a use. */
  public synchronized Optional<Hold> hold(FileId blockId) {
    Block b = blocks.get(blockId);
    if (b == null) return Optional.empty();
    b.refs++;
    return Optional.of(new Hold(b));
  }

  /** The block's bytes, copied to the heap, if listed; counts as a use. */
  public Optional<ByteString> get(FileId blockId) {
    Optional<Hold> h = hold(blockId);
    if (h.isEmpty()) return Optional.empty();
    try (Hold held = h.get()) {
      return Optional.of(held.copy());
    }
  }

  public synchronized boolean contains(FileId blockId) {
    return blocks.containsKey(blockId);
  }

  /** Unlists a block (replaced or removed); absent is fine. Its memory is reused once no reader holds it. */
  public synchronized void remove(FileId blockId) {
    Block b = blocks.remove(blockId);
    if (b != null) unlist(b);
  }

  /** Unlists every block of {@code blockIds} at once. */
  public synchronized void removeAll(List<FileId> blockIds) {
    for (FileId id : blockIds) {
      Block b = blocks.remove(id);
      if (b != null) unlist(b);
    }
  }

  /** Bytes of the blocks listed (their lengths). */
  public synchronized long heldBytes() {
    return heldBytes;
  }

  public synchronized int heldBlocks() {
    return blocks.size();
  }

  /** Bytes of the grains allocated to blocks, listed or still held by readers or writers. */
  public synchronized long allocatedBytes() {
    return slab == null ? 0 : slab.allocatedBytes();
  }

  /** Bytes of the pool's pages KV blocks hold now. */
  public synchronized long pageBytes() {
    return slab == null ? 0 : slab.pageBytesHeld();
  }

  /** Blocks evicted to make room since start. */
  public synchronized long evictions() {
    return evictions;
  }

  // ---- under the lock

  private void unlist(Block b) {
    heldBytes -= b.length;
    release(b);
  }

  private void release(Block b) {
    if (--b.refs == 0) slab.free(b.extents);
  }

  /** Evicts the least recently used block no reader holds (never {@code keep}); false when there is none. */
  private boolean evictOne(Block keep, List<Evicted> evicted) {
    Iterator<Block> eldest = blocks.values().iterator();
    while (eldest.hasNext()) {
      Block e = eldest.next();
      if (e == keep || e.refs > 1) continue;
      eldest.remove();
      unlist(e);
      evictions++;
      evicted.add(new Evicted(e.tenant, e.key, e.blockId));
      return true;
    }
    return false;
  }

  private void tell(List<Evicted> evicted) {
    for (Evicted e : evicted) onEvicted.accept(e);
  }

  private static List<ByteBuffer> views(Block b, boolean readOnly) {
    List<ByteBuffer> out = new ArrayList<>(b.extents.size());
    long left = b.length;
    for (KvExtent e : b.extents) {
      int from = e.grain() * KvSlab.GRAIN_BYTES;
      int n = (int) Math.min(left, e.bytes());
      ByteBuffer v = e.page().buffer().position(from).limit(from + n).slice();
      out.add(readOnly ? v.asReadOnlyBuffer() : v);
      left -= n;
    }
    return out;
  }

  // ---- the chunk transport's view: chunk 0 of each block id

  @Override
  public String id() {
    return ID;
  }

  @Override
  public CompletionStage<ByteString> read(ChunkId chunk, long offset, int length) {
    Optional<Hold> held = chunk.index() == 0 ? hold(chunk.fileId()) : Optional.empty();
    if (held.isEmpty()) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no KV block " + chunk.fileId()));
    }
    try (Hold h = held.get()) {
      long from = Math.min(offset, h.length());
      int n = (int) Math.min(h.length() - from, length);
      byte[] out = new byte[n];
      int at = 0;
      long skip = from;
      for (ByteBuffer b : h.buffers()) {
        if (at == n) break;
        if (skip >= b.remaining()) {
          skip -= b.remaining();
          continue;
        }
        b.position(b.position() + (int) skip);
        skip = 0;
        int take = Math.min(b.remaining(), n - at);
        b.get(out, at, take);
        at += take;
      }
      return CompletableFuture.completedFuture(ByteString.fromArrayUnsafe(out));
    }
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
