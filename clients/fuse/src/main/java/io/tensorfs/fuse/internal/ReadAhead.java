package io.tensorfs.fuse.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The read windows of one open file: a read the windows miss asks the node for the whole window around it
 * ({@code tensorfs.fuse.read-window}, aligned), and a read past the first quarter of a window starts reading the
 * next one, so sequential reads find their bytes already here. At most {@code maxWindows} windows, taken from the
 * shared {@link WindowPool} and given back at {@link #close}. Thread-safe (libfuse may read one file from several
 * threads).
 */
public final class ReadAhead {
  private static final Runtime RUNTIME = Runtime.getSystemRuntime();

  private final NodeCalls node;
  private final WindowPool pool;
  private final String path;
  private final int maxWindows;
  private final Duration timeout;
  private final long windowBytes;
  private final List<Window> windows = new ArrayList<>();
  private long clock;

  /** One window: the bytes {@code [start, start + filled)} of the file once {@code filled} completes. */
  private static final class Window {
    final ByteBuffer buffer;
    final Pointer pointer;
    long start;
    CompletableFuture<Long> filled;
    long used;

    Window(ByteBuffer buffer) {
      this.buffer = buffer;
      this.pointer = pointerTo(buffer);
    }
  }

  /**
   * A pointer to a direct buffer's memory by its address: jnr's pointer over the buffer itself copies byte by byte
   * (about 0.5 ms per 128 KiB measured), one over the address with memcpy (about 8 us).
   */
  static Pointer pointerTo(ByteBuffer direct) {
    return Pointer.wrap(RUNTIME, Pointer.wrap(RUNTIME, direct).address(), direct.capacity());
  }

  public ReadAhead(NodeCalls node, WindowPool pool, String path, int maxWindows, Duration timeout) {
    this.node = node;
    this.pool = pool;
    this.path = path;
    this.maxWindows = maxWindows;
    this.timeout = timeout;
    this.windowBytes = pool.windowBytes();
  }

  /**
   * Copies the bytes {@code [offset, offset+size)}, clamped to {@code fileSize}, into {@code into}; returns how
   * many (fewer only at the end of the file).
   */
  public int read(Pointer into, long offset, int size, long fileSize) {
    if (offset >= fileSize) return 0;
    int want = (int) Math.min(size, fileSize - offset);
    int done = 0;
    while (done < want) {
      long at = offset + done;
      Window w = windowAt(at, fileSize);
      if (w == null) {
        int n = readDirect(into, done, at, want - done);
        if (n <= 0) break;
        done += n;
        continue;
      }
      long filled = awaitFilled(w);
      long inWindow = filled - (at - w.start);
      if (inWindow <= 0) break;
      int n = (int) Math.min(want - done, inWindow);
      into.transferFrom(done, w.pointer, at - w.start, n);
      done += n;
    }
    readAhead(offset + done, fileSize);
    return done;
  }

  /** Without a window to spare: the bytes asked for only, straight from the node. */
  private int readDirect(Pointer into, int intoOffset, long at, int length) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(length);
    int n = (int) node.read(path, at, buffer);
    into.transferFrom(intoOffset, pointerTo(buffer), 0, n);
    return n;
  }

  private long awaitFilled(Window w) {
    try {
      return NodeCalls.await(w.filled, timeout);
    } catch (FsError e) {
      forget(w);
      throw e;
    }
  }

  /** The window holding {@code at}, being filled or filled; null when none can be had. */
  private synchronized Window windowAt(long at, long fileSize) {
    long start = at - at % windowBytes;
    for (Window w : windows) {
      if (w.start == start) {
        w.used = ++clock;
        return w;
      }
    }
    Window w = spare(null);
    if (w == null) return null;
    fill(w, start);
    return w;
  }

  /** Once a read passes the first quarter of a window, the next window is read while this one is used. */
  private synchronized void readAhead(long next, long fileSize) {
    if (next >= fileSize || next <= 0) return;
    long current = (next - 1) - (next - 1) % windowBytes;
    if (next - current < windowBytes / 4) return;
    long start = current + windowBytes;
    if (start >= fileSize) return;
    for (Window w : windows) {
      if (w.start == start) return;
    }
    Window keep = null;
    for (Window w : windows) {
      if (w.start == current) keep = w;
    }
    Window w = spare(keep);
    if (w != null) fill(w, start);
  }

  /** A window to fill: a new one from the pool while under the limit, else the least recently used filled one. */
  private Window spare(Window keep) {
    if (windows.size() < maxWindows) {
      var taken = pool.take();
      if (taken.isPresent()) {
        Window w = new Window(taken.get());
        windows.add(w);
        return w;
      }
    }
    Window oldest = null;
    for (Window w : windows) {
      if (w != keep && w.filled.isDone() && (oldest == null || w.used < oldest.used)) oldest = w;
    }
    return oldest;
  }

  /** Reads the window at {@code start}; the pool's own buffer, whole: the local channel registered it in place. */
  private void fill(Window w, long start) {
    w.start = start;
    w.used = ++clock;
    w.filled = node.readAsync(path, start, w.buffer);
  }

  /** Drops a window whose read failed; one still in flight is not given back (the node may yet write into it). */
  private synchronized void forget(Window w) {
    windows.remove(w);
    if (w.filled.isDone()) pool.give(w.buffer);
  }

  /** Gives every window back to the pool (those still being read once their read ends). */
  public synchronized void close() {
    for (Window w : windows) {
      w.filled.whenComplete((n, e) -> pool.give(w.buffer));
    }
    windows.clear();
  }
}
