package io.tensorfs.test;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A request body caught mid-way: sends {@code beforeStall} bytes (byte i is {@code (byte) i}), then blocks
 * until released (at most 120 s), then fails, as a client that dies part way would. One reader only.
 */
final class StallingStream extends InputStream {
  private final long beforeStall;
  private final CountDownLatch hold;
  private long sent;

  StallingStream(long beforeStall, CountDownLatch hold) {
    this.beforeStall = beforeStall;
    this.hold = hold;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (sent >= beforeStall) {
      try {
        hold.await(120, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("body abandoned after " + sent + " bytes");
    }
    int n = (int) Math.min(len, beforeStall - sent);
    for (int i = 0; i < n; i++) b[off + i] = (byte) (sent + i);
    sent += n;
    return n;
  }
}
