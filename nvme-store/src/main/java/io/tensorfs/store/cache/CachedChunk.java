package io.tensorfs.store.cache;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.memory.Page;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A resident chunk handed to one holder: its pages stay put until the holder calls {@link #release()},
 * even if the cache evicts or drops the chunk meanwhile. Each handle is released exactly once;
 * {@link #retain()} makes another handle for another holder. Thread-safe.
 */
public final class CachedChunk {
  private final ChunkId id;
  private final long length;
  private final List<Page> pages;
  private final int pageBytes;
  private final AtomicBoolean released = new AtomicBoolean();

  /** Takes one reference on each page; the caller guarantees they are held meanwhile. */
  CachedChunk(ChunkId id, long length, List<Page> pages, int pageBytes) {
    this.id = id;
    this.length = length;
    this.pages = List.copyOf(pages);
    this.pageBytes = pageBytes;
    for (Page page : this.pages) page.retain();
  }

  public ChunkId id() {
    return id;
  }

  /** The chunk's length in bytes. */
  public long length() {
    return length;
  }

  /**
   * Read-only direct views of the pages under {@code [offset, offset+length)}, in order, each covering
   * exactly its part of the range: no bytes are copied. Valid until this handle is released.
   *
   * @throws IllegalArgumentException when the range is not within the chunk
   * @throws IllegalStateException    when this handle was released
   */
  public List<ByteBuffer> slices(long offset, long length) {
    checkLive();
    if (offset < 0 || length < 0 || offset + length > this.length) {
      throw new IllegalArgumentException("range " + offset + "+" + length + " outside chunk " + id + " of "
          + this.length + " bytes");
    }
    List<ByteBuffer> out = new ArrayList<>();
    long end = offset + length;
    for (long at = offset; at < end; ) {
      int page = (int) (at / pageBytes);
      int from = (int) (at - (long) page * pageBytes);
      int to = (int) Math.min(pageBytes, end - (long) page * pageBytes);
      out.add(pages.get(page).buffer().limit(to).position(from).slice().asReadOnlyBuffer());
      at += to - from;
    }
    return out;
  }

  /** Another handle on the same pages, for another holder. */
  public CachedChunk retain() {
    checkLive();
    return new CachedChunk(id, length, pages, pageBytes);
  }

  /**
   * Lets go of the pages.
   *
   * @throws IllegalStateException when this handle was already released
   */
  public void release() {
    if (!released.compareAndSet(false, true)) {
      throw new IllegalStateException("cached chunk " + id + " released twice");
    }
    for (Page page : pages) page.release();
  }

  private void checkLive() {
    if (released.get()) throw new IllegalStateException("cached chunk " + id + " was released");
  }

  @Override
  public String toString() {
    return "CachedChunk(" + id + ", " + length + " bytes, " + pages.size() + " pages)";
  }
}
