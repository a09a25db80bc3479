package io.tensorfs.transport.internal;

import io.tensorfs.core.TfsException;
import io.tensorfs.transport.Fetched;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The caller's buffer (cache pages) that a {@code fetchInto} transfer writes into, and how far it is
 * verified. The engine copies each DATA payload from the wire's buffer straight to its place here and
 * computes the CRC32C over the bytes now in the target; everything it needs per frame is made once,
 * when the transfer starts. Frames that arrive ahead of their turn (TCP stripes) are kept as verified
 * ranges until the bytes before them arrive, so {@link #verifiedBytes()} is always a prefix.
 *
 * <p>Owned by the engine's agent thread; only {@link #result} is read elsewhere, and it is completed on
 * the executor, never on the agent thread.
 */
final class FetchTarget {
  private final UnsafeBuffer pages;
  private final ByteBuffer crcView;
  private final int base;
  private final CRC32C crc = new CRC32C();
  private final Executor executor;
  final CompletableFuture<Fetched> result = new CompletableFuture<>();
  /** Verified ranges past the prefix, as sorted, disjoint, non-adjacent {@code [start, end)} pairs. */
  private int[] ahead = new int[32];
  private int aheadPairs;
  private int verified;
  private boolean done;

  /** {@code target}: written from its position to its limit; neither moves. */
  FetchTarget(ByteBuffer target, Executor executor) {
    this.base = target.position();
    this.pages = new UnsafeBuffer(target, base, target.remaining());
    this.crcView = target.duplicate();
    this.executor = executor;
  }

  int capacity() {
    return pages.capacity();
  }

  /** Bytes verified from the start of the target, in order. */
  int verifiedBytes() {
    return verified;
  }

  /**
   * Whether {@code [position, position+length)} is free: within the target and not yet received. A
   * frame that is not is a protocol error and is not written.
   */
  boolean fits(int position, int length) {
    int end = position + length;
    if (position < verified || end > pages.capacity()) return false;
    for (int i = 0; i < aheadPairs; i++) {
      if (position < ahead[2 * i + 1] && ahead[2 * i] < end) return false;
    }
    return true;
  }

  /**
   * Copies a frame's payload from the wire to {@code position} and checks its CRC32C there; true when it
   * matches, and then the bytes count as received.
   */
  boolean write(DirectBuffer frame, int payloadOffset, int position, int length, int expectedCrc) {
    pages.putBytes(position, frame, payloadOffset, length);
    crcView.limit(base + position + length).position(base + position);
    crc.reset();
    crc.update(crcView);
    if ((int) crc.getValue() != expectedCrc) return false;
    received(position, position + length);
    return true;
  }

  /** The CRC32C of the bytes now at {@code [position, position+length)} (for the error message). */
  int crcAt(int position, int length) {
    crcView.limit(base + position + length).position(base + position);
    crc.reset();
    crc.update(crcView);
    return (int) crc.getValue();
  }

  private void received(int start, int end) {
    if (start == verified) {
      verified = end;
      while (aheadPairs > 0 && ahead[0] == verified) {
        verified = ahead[1];
        System.arraycopy(ahead, 2, ahead, 0, 2 * --aheadPairs);
      }
      return;
    }
    int i = 0;
    while (i < aheadPairs && ahead[2 * i] < start) i++;
    boolean joinsBefore = i > 0 && ahead[2 * i - 1] == start;
    boolean joinsAfter = i < aheadPairs && ahead[2 * i] == end;
    if (joinsBefore && joinsAfter) {
      ahead[2 * i - 1] = ahead[2 * i + 1];
      System.arraycopy(ahead, 2 * i + 2, ahead, 2 * i, 2 * (aheadPairs - i - 1));
      aheadPairs--;
    } else if (joinsBefore) {
      ahead[2 * i - 1] = end;
    } else if (joinsAfter) {
      ahead[2 * i] = start;
    } else {
      if (2 * aheadPairs + 2 > ahead.length) ahead = java.util.Arrays.copyOf(ahead, 2 * ahead.length); // a stripe far behind: rare
      System.arraycopy(ahead, 2 * i, ahead, 2 * i + 2, 2 * (aheadPairs - i));
      ahead[2 * i] = start;
      ahead[2 * i + 1] = end;
      aheadPairs++;
    }
  }

  /**
   * Ends the fetch: completes {@link #result} on the executor with the verified prefix and
   * {@code failure} (null when it ran to its end). Later calls do nothing.
   */
  void finish(TfsException failure) {
    if (done) return;
    done = true;
    Fetched fetched = new Fetched(verified, failure);
    try {
      executor.execute(() -> result.complete(fetched));
    } catch (RejectedExecutionException e) {
      result.complete(fetched); // the executor is shutting down: nothing else would run the callers
    }
  }
}
