package io.tensorfs.transport.internal;

import io.tensorfs.core.TfsException;
import io.tensorfs.transport.Fetched;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The caller's buffer (cache pages) that a {@code fetchInto} transfer writes into, and how far it is
 * verified. The engine copies each DATA payload from the wire's buffer straight to its place here, or a
 * wire that can reads it from its socket to its place ({@link Landing}); either way the CRC32C is computed
 * over the bytes now in the target. What it needs per frame is made once per transfer (a landing per
 * connection reading into it at once). Frames that arrive ahead of their turn (TCP stripes) are kept as verified
 * ranges ({@link ReceivedRanges}) until the bytes before them arrive, so {@link #verifiedBytes()} is always a prefix.
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
  private final ReceivedRanges received = new ReceivedRanges();
  /** Payloads a wire is reading into the target now, and those it gave back, to reuse. */
  private final ArrayList<Landing> open = new ArrayList<>(4);
  private final ArrayDeque<Landing> idle = new ArrayDeque<>(4);
  private final ByteBuffer target;
  private boolean done;

  /** {@code target}: written from its position to its limit; neither moves. */
  FetchTarget(ByteBuffer target, Executor executor) {
    this.target = target;
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
    return (int) received.prefix();
  }

  /**
   * Whether {@code [position, position+length)} is free: within the target, not yet received, and not
   * being read into by a wire. A frame that is not is a protocol error and is not written.
   */
  boolean fits(int position, int length) {
    if (position + length > pages.capacity() || !received.free(position, position + length)) return false;
    for (int i = 0; i < open.size(); i++) {
      if (open.get(i).overlaps(position, length)) return false;
    }
    return true;
  }

  /**
   * A landing for a payload of {@code length} bytes at {@code position}, which must {@link #fits fit},
   * for a wire to read into; its bytes count once {@link #landed}.
   */
  Landing openLanding(int position, int length, int expectedCrc) {
    Landing l = idle.poll();
    if (l == null) l = new Landing(this, target.duplicate());
    l.view.limit(base + position + length).position(base + position);
    l.position = position;
    l.length = length;
    l.crc = expectedCrc;
    l.live = true;
    open.add(l);
    return l;
  }

  /**
   * A live landing's payload is in: checks its CRC32C there; true when it matches, and then its bytes
   * count as received. The landing is taken back either way.
   */
  boolean landed(Landing l) {
    close(l);
    if (crcAt(l.position, l.length) != l.crc) return false;
    received.add(l.position, l.position + l.length);
    return true;
  }

  /** A live landing whose payload will not arrive (its connection was lost): taken back, nothing counted. */
  void abandon(Landing l) {
    close(l);
  }

  private void close(Landing l) {
    l.live = false;
    open.remove(l);
    idle.add(l);
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
    received.add(position, position + length);
    return true;
  }

  /** The CRC32C of the bytes now at {@code [position, position+length)} (for the error message). */
  int crcAt(int position, int length) {
    crcView.limit(base + position + length).position(base + position);
    crc.reset();
    crc.update(crcView);
    return (int) crc.getValue();
  }

  /**
   * Ends the fetch: completes {@link #result} on the executor with the verified prefix and
   * {@code failure} (null when it ran to its end). Later calls do nothing.
   */
  void finish(TfsException failure) {
    if (done) return;
    done = true;
    for (int i = 0; i < open.size(); i++) open.get(i).live = false; // a wire reading into one drops the rest
    open.clear();
    Fetched fetched = new Fetched(verifiedBytes(), failure);
    try {
      executor.execute(() -> result.complete(fetched));
    } catch (RejectedExecutionException e) {
      result.complete(fetched); // the executor is shutting down: nothing else would run the callers
    }
  }
}
