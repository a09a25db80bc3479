package io.tensorfs.transport.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where a streamed transfer's DATA frames land (a push served here, or a {@code fetch} stream): a ring of
 * direct memory as large as the credit window, taken from the engine's {@link LandingPages}. The agent
 * copies each payload from the wire's buffer to its place in the ring (transfer position modulo the
 * ring's size) and computes its CRC32C there; the stage reads the verified prefix out in order. The credit
 * protocol keeps the two apart: a sender may send only below the limit granted, and the stage grants a
 * window past what it has read out, so a frame never lands on bytes not yet read.
 *
 * <p>Thread-safety: {@link #fits} and {@link #write} on the engine's agent thread only, nothing allocated;
 * {@link #verified} is published to the stage, which reads bytes only below it ({@link #copy}).
 */
final class LandingRing {
  private final ByteBuffer memory;
  private final UnsafeBuffer ring;
  private final ByteBuffer crcView;
  private final CRC32C crc = new CRC32C();
  private final ReceivedRanges received = new ReceivedRanges();
  /** The prefix of the transfer verified, for the stage. */
  private volatile long verified;

  /** {@code memory}: a direct buffer, whole; the ring's size is its capacity. */
  LandingRing(ByteBuffer memory) {
    if (!memory.isDirect()) throw new IllegalArgumentException("a landing ring is direct memory");
    this.memory = memory;
    this.ring = new UnsafeBuffer(memory, 0, memory.capacity());
    this.crcView = memory.duplicate();
  }

  /** The ring's memory, for {@link LandingPages#release}. */
  ByteBuffer memory() {
    return memory;
  }

  int capacity() {
    return ring.capacity();
  }

  /** Bytes of the transfer verified from its start, in order (any thread). */
  long verified() {
    return verified;
  }

  /**
   * Whether a frame at transfer position {@code [position, position+length)} may be written: no longer
   * than the ring and over no byte received already. (That it stays below the credit granted, and so off
   * bytes the stage has not read yet, the engine checks.)
   */
  boolean fits(long position, int length) {
    return length <= ring.capacity() && received.free(position, position + length);
  }

  /** Copies a payload into the ring and checks its CRC32C there; true when it matches, and then it counts as received. */
  boolean write(DirectBuffer frame, int payloadOffset, long position, int length, int expectedCrc) {
    int at = (int) (position % ring.capacity());
    int first = Math.min(length, ring.capacity() - at);
    ring.putBytes(at, frame, payloadOffset, first);
    if (first < length) ring.putBytes(0, frame, payloadOffset + first, length - first);
    crc.reset();
    crcView.limit(at + first).position(at);
    crc.update(crcView);
    if (first < length) {
      crcView.limit(length - first).position(0);
      crc.update(crcView);
    }
    if ((int) crc.getValue() != expectedCrc) return false;
    received.add(position, position + length);
    verified = received.prefix();
    return true;
  }

  /** Bytes readable in one piece from {@code position} (below {@link #verified}), up to the ring's end. */
  int readable(long position) {
    long upTo = verified;
    int at = (int) (position % ring.capacity());
    return (int) Math.min(upTo - position, ring.capacity() - at);
  }

  /** Stage thread: copies {@code length} verified bytes from transfer position {@code position} into {@code into}. */
  void copy(long position, byte[] into, int offset, int length) {
    int at = (int) (position % ring.capacity());
    ring.getBytes(at, into, offset, length);
  }
}
