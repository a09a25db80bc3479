package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.Crc32c;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.Fetched;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** How a fetch's target takes frames: written in place, checked there, and counted only as a verified prefix. */
class FetchTargetTest {
  private static final int FRAME = 1000;

  private final ByteBuffer pages = ByteBuffer.allocateDirect(10 * FRAME + 100);
  private final FetchTarget target;

  FetchTargetTest() {
    pages.position(100);
    target = new FetchTarget(pages, Runnable::run);
  }

  private static byte at(int position) {
    return (byte) (position * 7 + 3);
  }

  /** A DATA payload of {@code length} bytes for {@code position}, at offset 16 of a wire buffer. */
  private static UnsafeBuffer wire(int position, int length) {
    UnsafeBuffer b = new UnsafeBuffer(new byte[16 + length]);
    for (int i = 0; i < length; i++) b.putByte(16 + i, at(position + i));
    return b;
  }

  private boolean frame(int index) {
    int position = index * FRAME;
    UnsafeBuffer w = wire(position, FRAME);
    int crc = Crc32c.of(w.byteArray(), 16, FRAME);
    assertTrue(target.fits(position, FRAME));
    return target.write(w, 16, position, FRAME, crc);
  }

  @Test
  void shouldCountOnlyTheContiguousPrefixWhenFramesArriveOutOfOrder() {
    assertTrue(frame(0));
    assertTrue(frame(2));
    assertTrue(frame(3));
    assertTrue(frame(5));
    assertEquals(FRAME, target.verifiedBytes());
    assertTrue(frame(1));
    assertEquals(4 * FRAME, target.verifiedBytes(), "frame 1 joins the ranges that came ahead of it");
    assertTrue(frame(4));
    assertEquals(6 * FRAME, target.verifiedBytes());
    for (int i = 9; i >= 6; i--) assertTrue(frame(i));
    assertEquals(10 * FRAME, target.verifiedBytes());
    for (int i = 0; i < 10 * FRAME; i++) assertEquals(at(i), pages.get(100 + i), "byte " + i);
    assertEquals(100, pages.position(), "the target's position does not move");
  }

  @Test
  void shouldRefuseAFrameOverBytesAlreadyReceived() {
    assertTrue(frame(0));
    assertTrue(frame(2));
    assertFalse(target.fits(0, FRAME), "inside the prefix");
    assertFalse(target.fits(2 * FRAME + 10, FRAME), "over a range that came ahead");
    assertFalse(target.fits(FRAME + 1, FRAME), "across one");
    assertFalse(target.fits(9 * FRAME + 1, FRAME), "past the end");
    assertTrue(target.fits(FRAME, FRAME));
  }

  @Test
  void shouldClaimNothingOfACorruptedFrameAndAnswerThePrefix() throws Exception {
    assertTrue(frame(0));
    UnsafeBuffer w = wire(FRAME, FRAME);
    int crc = Crc32c.of(w.byteArray(), 16, FRAME);
    w.putByte(16 + 500, (byte) (w.getByte(16 + 500) ^ 0x5A));
    assertFalse(target.write(w, 16, FRAME, FRAME, crc), "the CRC is checked on the bytes in the target");
    assertEquals(FRAME, target.verifiedBytes());

    TfsException cause = new TfsException(ErrorCode.CHECKSUM_MISMATCH, "bad frame");
    target.finish(cause);
    target.finish(null); // only the first end counts
    Fetched fetched = target.result.toCompletableFuture().getNow(null);
    assertEquals(new Fetched(FRAME, cause), fetched);
  }

  @Test
  void shouldCompleteOnItsExecutorWithAllBytes() {
    for (int i = 0; i < 10; i++) assertTrue(frame(i));
    target.finish(null);
    Fetched fetched = target.result.toCompletableFuture().getNow(null);
    assertEquals(10 * FRAME, fetched.bytes());
    assertNull(fetched.failure());
  }
}
