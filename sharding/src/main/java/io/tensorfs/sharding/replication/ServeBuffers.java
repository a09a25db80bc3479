package io.tensorfs.sharding.replication;

import io.tensorfs.core.memory.Page;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.sharding.metrics.FetchMetrics;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct, aligned buffers that a chunk served from a store (not resident in the cache) is read into with
 * O_DIRECT and lent to the transport from, so its bytes go from the disk to the wire without a heap copy.
 * They are slots of one region of direct memory taken (and zeroed) at start, in transparent huge pages
 * where the kernel offers them (a read into one then reaches the disk as few large requests), and never freed
 * ({@link #regions}), which the node hands to its transport with the page pool's: the TCP wire writes a run
 * from its slot, the RDMA wire registers the region and sends from it. When every slot is in use, a buffer
 * is allocated for the one read and left to the collector after use, and its bytes are copied onto the
 * wire; so is every buffer when the region could not be had (too little direct memory: logged). A buffer goes back when the transport released the run
 * lent from it. A fetch holds at most its reads in flight and the runs its transfer's outbox holds, so the
 * memory in use follows the fetches being served.
 *
 * <p>Thread-safe (the region's free list is one short lock; one take and one give per segment read, never
 * per frame; {@link Buffer#give} may run on the transport's agent thread and never blocks).
 */
final class ServeBuffers {
  private static final Logger log = LoggerFactory.getLogger(ServeBuffers.class);
  /** O_DIRECT alignment a buffer starts on (a multiple of every device's logical block in use). */
  private static final int ALIGN = 4096;

  private final int bytes;
  /** Null when the buffer size is not a page size a region can be cut in (a power of two from 2 to 64 MiB). */
  private final PagePool region;

  /**
   * A buffer taken, cleared and aligned for O_DIRECT: a slot of the region, or (no slot) a buffer of its own.
   * {@link #give} once.
   */
  record Buffer(ByteBuffer bytes, Page slot) {
    void give() {
      if (slot != null) slot.release(); // a buffer of its own is left to the collector
    }
  }

  /** Buffers of {@code bytes}, a region of {@code regionBytes} (rounded down to whole buffers; 0: none). */
  ServeBuffers(int bytes, long regionBytes) {
    this.bytes = bytes;
    boolean pageSized = Integer.bitCount(bytes) == 1 && bytes >= 2 << 20 && bytes <= 64 << 20;
    long slots = regionBytes / bytes;
    this.region = pageSized && slots > 0 ? region(slots * bytes, bytes) : null;
  }

  private static PagePool region(long regionBytes, int bytes) {
    try {
      // In transparent huge pages where the kernel offers them: a 4 MiB read into 4 KiB pages scattered in
      // memory reaches a virtual disk as four or more requests (at most max_segments pages each, 254 on the
      // 16-core host), each paying the disk's cost per request (README, "Several nodes").
      return PagePool.allocate(new PagePoolSettings(regionBytes, bytes, PagePoolSettings.HugePages.TRANSPARENT_OR_REGULAR,
          null, true));
    } catch (IllegalStateException e) {
      log.warn("no serve region of {} bytes ({}): chunks served from disk are read into buffers of their own and copied onto the wire",
          regionBytes, e.getMessage());
      return null;
    }
  }

  /** Bytes of one buffer. */
  int bytes() {
    return bytes;
  }

  /** The kind of memory of the region ({@link PagePool#memoryKind}), {@code none} without one. */
  String memoryKind() {
    return region == null ? "none" : region.memoryKind();
  }

  /** The region the slots are cut from (empty when there is none): memory a transport may send from in place. */
  List<ByteBuffer> regions() {
    return region == null ? List.of() : region.regions();
  }

  /** Slots of the region not in use now (0 when there is no region). */
  int freeSlots() {
    return region == null ? 0 : region.freePages();
  }

  /** A cleared buffer of {@link #bytes()}, aligned for O_DIRECT: a free slot of the region, else a new one. */
  Buffer take() {
    Page slot = region == null ? null : region.tryAcquire();
    if (slot != null) return new Buffer(slot.buffer().clear(), slot);
    FetchMetrics.SERVE_OUTSIDE_REGION.increment();
    return new Buffer(ByteBuffer.allocateDirect(bytes + ALIGN).alignedSlice(ALIGN).limit(bytes).slice(), null);
  }
}
