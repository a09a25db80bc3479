package io.tensorfs.transport.internal;

import io.tensorfs.transport.PageRun;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/** A run that counts its releases (a test asserts it went back exactly once, and when). */
public final class CountingRun implements PageRun {
  public final ByteBuffer bytes;
  public final AtomicInteger released = new AtomicInteger();

  public CountingRun(ByteBuffer bytes) {
    this.bytes = bytes;
  }

  @Override
  public ByteBuffer bytes() {
    return bytes;
  }

  @Override
  public void release() {
    released.incrementAndGet();
  }
}
