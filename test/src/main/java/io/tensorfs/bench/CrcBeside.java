package io.tensorfs.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.zip.CRC32C;

/**
 * The CRC32C of a byte stream, computed on a thread of its own while the caller reads the next buffer:
 * the reading thread only copies bytes off its socket, as the raw loopback baseline's does, and every byte
 * is still checked, in order. The caller takes a free buffer, fills it, hands it over, and at the end
 * asks for the checksum. One stream per instance; not thread-safe beyond that one reader.
 */
final class CrcBeside implements AutoCloseable {
  /** Handed over after the last buffer. */
  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private final BlockingQueue<ByteBuffer> free;
  private final BlockingQueue<ByteBuffer> full;
  private final CRC32C crc = new CRC32C();
  private final Thread checker;

  CrcBeside(int buffers, int bufferBytes) {
    free = new ArrayBlockingQueue<>(buffers);
    full = new ArrayBlockingQueue<>(buffers + 1);
    for (int i = 0; i < buffers; i++) free.add(ByteBuffer.allocateDirect(bufferBytes));
    checker = new Thread(this::check, "bench-crc");
    checker.setDaemon(true);
    checker.start();
  }

  /** A buffer to fill, cleared; waits while every buffer is being checked. */
  ByteBuffer take() throws InterruptedException {
    return free.take().clear();
  }

  /** Hands over {@code filled}'s bytes from its position to its limit for checking. */
  void hand(ByteBuffer filled) throws InterruptedException {
    full.put(filled);
  }

  /** The CRC32C of every byte handed over, once all are checked. */
  int finish() throws InterruptedException {
    full.put(END);
    checker.join();
    return (int) crc.getValue();
  }

  /** Stops the checking thread if the stream was abandoned before {@link #finish}. */
  @Override
  public void close() {
    checker.interrupt();
  }

  private void check() {
    try {
      for (ByteBuffer b = full.take(); b != END; b = full.take()) {
        crc.update(b);
        free.put(b);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
