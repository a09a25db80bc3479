package io.tensorfs.sharding.kv;

import io.tensorfs.core.memory.Page;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of KV blocks: pages of the node's page pool (pinned for device copies), cut into grains of
 * {@value #GRAIN_BYTES} bytes. A block takes {@code ceil(length / GRAIN_BYTES)} grains, so its memory is
 * at most its length plus 4 KiB less one byte: 1.6 % at 256 KiB, below 0.4 % from 1 MiB up. A block is laid
 * out as whole pages first (a block of several pages spans several), then its remainder as one run in a
 * page that has room for it (the first that fits), else in a fresh page, else scattered over the free runs
 * of the pages held: free memory is never lost to fragmentation. A page whose last grain is freed goes
 * back to the pool at once, for the chunk cache.
 *
 * <p>Bounded twice: at most {@code limitBytes} of grains are allocated, in at most {@code ceil(limitBytes /
 * pageBytes)} pages. Not thread-safe: its owner ({@link KvBlockStore}) calls it under its lock.
 */
final class KvSlab {
  static final int GRAIN_BYTES = 4096;

  private final KvPages source;
  private final int grainsPerPage;
  private final long limitGrains;
  private final int maxPages;
  /** Held pages by pool index, in the order they came; each with its used grains. */
  private final Map<Integer, SlabPage> pages = new LinkedHashMap<>();
  private long usedGrains;

  private static final class SlabPage {
    final Page page;
    final BitSet used;
    int usedGrains;

    SlabPage(Page page, int grains) {
      this.page = page;
      this.used = new BitSet(grains);
    }
  }

  KvSlab(KvPages source, long limitBytes) {
    if (source.pageBytes() % GRAIN_BYTES != 0) {
      throw new IllegalArgumentException("a page of " + source.pageBytes() + " bytes is not whole grains");
    }
    this.source = source;
    this.grainsPerPage = source.pageBytes() / GRAIN_BYTES;
    this.limitGrains = limitBytes / GRAIN_BYTES;
    this.maxPages = (int) Math.min(Integer.MAX_VALUE, (limitBytes + source.pageBytes() - 1) / source.pageBytes());
  }

  static int grainsFor(long lengthBytes) {
    return (int) ((lengthBytes + GRAIN_BYTES - 1) / GRAIN_BYTES);
  }

  /** Whether a block of {@code lengthBytes} could ever fit, with every other block gone. */
  boolean couldHold(long lengthBytes) {
    return grainsFor(lengthBytes) <= limitGrains;
  }

  /** The extents of a new block of {@code lengthBytes}, or null when the memory held cannot take it now. */
  List<KvExtent> allocate(long lengthBytes) {
    int need = grainsFor(lengthBytes);
    if (need == 0) return List.of();
    if (usedGrains + need > limitGrains) return null;
    List<KvExtent> out = new ArrayList<>();
    int left = need;
    while (left >= grainsPerPage) {
      SlabPage p = emptyPage();
      if (p == null) break;
      out.add(take(p, 0, grainsPerPage));
      left -= grainsPerPage;
    }
    if (left > 0 && left < grainsPerPage) {
      KvExtent run = firstFit(left);
      if (run == null) {
        SlabPage fresh = freshPage();
        if (fresh != null) run = take(fresh, 0, left);
      }
      if (run != null) {
        out.add(run);
        left = 0;
      }
    }
    while (left > 0) {
      KvExtent piece = anyRun(left);
      if (piece == null) {
        SlabPage fresh = freshPage();
        if (fresh == null) {
          free(out);
          return null;
        }
        piece = take(fresh, 0, Math.min(left, grainsPerPage));
      }
      out.add(piece);
      left -= piece.grains();
    }
    return out;
  }

  /** Gives the extents' grains back; a page left empty goes back to the pool. */
  void free(List<KvExtent> extents) {
    for (KvExtent e : extents) {
      SlabPage p = pages.get(e.page().index());
      p.used.clear(e.grain(), e.grain() + e.grains());
      p.usedGrains -= e.grains();
      usedGrains -= e.grains();
      if (p.usedGrains == 0) {
        pages.remove(e.page().index());
        p.page.release();
      }
    }
  }

  /** Bytes of the grains allocated to blocks. */
  long allocatedBytes() {
    return usedGrains * GRAIN_BYTES;
  }

  /** Bytes of the pages taken from the pool. */
  long pageBytesHeld() {
    return (long) pages.size() * grainsPerPage * GRAIN_BYTES;
  }

  int pagesHeld() {
    return pages.size();
  }

  private KvExtent take(SlabPage p, int from, int grains) {
    p.used.set(from, from + grains);
    p.usedGrains += grains;
    usedGrains += grains;
    return new KvExtent(p.page, from, grains);
  }

  private SlabPage emptyPage() {
    for (SlabPage p : pages.values()) {
      if (p.usedGrains == 0) return p;
    }
    return freshPage();
  }

  private SlabPage freshPage() {
    if (pages.size() >= maxPages) return null;
    Page page = source.take();
    if (page == null) return null;
    if (page.buffer().capacity() != grainsPerPage * GRAIN_BYTES) {
      page.release();
      throw new IllegalStateException("the page source gave a page of " + page.buffer().capacity() + " bytes");
    }
    SlabPage p = new SlabPage(page, grainsPerPage);
    pages.put(page.index(), p);
    return p;
  }

  /** The first run of {@code grains} free grains in one held page, taken; null when none has one. */
  private KvExtent firstFit(int grains) {
    for (SlabPage p : pages.values()) {
      if (grainsPerPage - p.usedGrains < grains) continue;
      int at = p.used.nextClearBit(0);
      while (at + grains <= grainsPerPage) {
        int end = p.used.nextSetBit(at);
        if (end < 0) end = grainsPerPage;
        if (end - at >= grains) return take(p, at, grains);
        at = p.used.nextClearBit(end);
      }
    }
    return null;
  }

  /** The first free run of any held page, up to {@code most} grains, taken; null when every page is full. */
  private KvExtent anyRun(int most) {
    for (SlabPage p : pages.values()) {
      if (p.usedGrains == grainsPerPage) continue;
      int at = p.used.nextClearBit(0);
      int end = p.used.nextSetBit(at);
      if (end < 0) end = grainsPerPage;
      return take(p, at, Math.min(most, end - at));
    }
    return null;
  }
}
