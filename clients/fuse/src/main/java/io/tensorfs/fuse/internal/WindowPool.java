package io.tensorfs.fuse.internal;

import io.tensorfs.client.local.SharedBuffer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * The read windows every open file draws from: {@code count} buffers of {@code windowBytes}, slices of one shared
 * memory segment when the node is on this host (the node then reads into them in place), else direct buffers.
 * Thread-safe.
 */
public final class WindowPool implements AutoCloseable {
  private final int windowBytes;
  private final SharedBuffer shared;
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();

  public WindowPool(int windowBytes, int count, boolean sharedMemory) {
    this.windowBytes = windowBytes;
    this.shared = sharedMemory ? SharedBuffer.allocate((long) windowBytes * count) : null;
    for (int i = 0; i < count; i++) {
      free.add(shared != null ? shared.slice((long) i * windowBytes, windowBytes) : ByteBuffer.allocateDirect(windowBytes));
    }
  }

  public int windowBytes() {
    return windowBytes;
  }

  /** A free window, if any. */
  public synchronized Optional<ByteBuffer> take() {
    return Optional.ofNullable(free.poll());
  }

  /** Gives a window back. */
  public synchronized void give(ByteBuffer window) {
    free.add(window);
  }

  @Override
  public void close() {
    if (shared != null) shared.close();
  }
}
