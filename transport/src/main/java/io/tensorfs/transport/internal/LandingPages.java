package io.tensorfs.transport.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The engine's pool of landing rings (direct memory, one credit window each) for streamed inbound
 * transfers (pushes served here, {@code fetch} streams): taken when such a transfer starts, given back
 * when it ends, so a node that takes pushes one after another allocates its rings once. At most
 * {@code keep} idle rings are kept; more in use at once are made and dropped after use.
 *
 * <p>Thread-safe (a monitor; taken and given back once per transfer, never per frame).
 */
final class LandingPages {
  private final int ringBytes;
  private final int keep;
  private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
  private int made;

  LandingPages(int ringBytes, int keep) {
    if (ringBytes <= 0 || keep < 0) throw new IllegalArgumentException("ring bytes must be positive, keep not negative");
    this.ringBytes = ringBytes;
    this.keep = keep;
  }

  /** A ring, reused when one is idle. */
  synchronized LandingRing take() {
    ByteBuffer memory = idle.pollFirst();
    if (memory == null) {
      memory = ByteBuffer.allocateDirect(ringBytes);
      made++;
    }
    return new LandingRing(memory);
  }

  /** Gives a ring's memory back; the ring must not be used after. */
  synchronized void release(LandingRing ring) {
    if (idle.size() < keep) idle.addFirst(ring.memory());
  }

  /** Rings made since start (a test's view of reuse). */
  synchronized int made() {
    return made;
  }
}
