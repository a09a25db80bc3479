package io.tensorfs.transport.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class SignedRequestsTest {
  private static final long MAX_AGE_MS = 60_000;
  private final byte[] key = filled(1);
  private final AtomicLong clockMs = new AtomicLong(1_000_000_000L);
  private final SignedRequests sender = new SignedRequests(key, MAX_AGE_MS, clockMs::get);
  private final SignedRequests receiver = new SignedRequests(key, MAX_AGE_MS, clockMs::get);

  private static byte[] filled(int value) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) value);
    return k;
  }

  private final Frames.Writer writer = new Frames.Writer(new UnsafeBuffer(ByteBuffer.allocate(Frames.MAX_CONTROL_BYTES)));

  /** A PUSH request's fields, as the engine writes them. */
  private Frames.Writer push(long transferId) {
    return writer.begin(Frames.PUSH, Frames.FROM_REQUESTER, transferId)
        .chunk(new ChunkId(new FileId("0123456789abcdef0123456789abcdef"), 3)).putLong(4096).putByte((byte) 1)
        .putString("aeron-udp://10.0.0.2:40123?driver=x&ipc=5").putString("/tenant/f").putBytes(new byte[] {1, 2, 3});
  }

  private byte[] signedPush(SignedRequests by, long transferId) {
    int n = by.sign(push(transferId));
    byte[] frame = new byte[n];
    writer.buffer().getBytes(0, frame);
    return frame;
  }

  private String check(byte[] frame, int length) {
    return receiver.check(new UnsafeBuffer(frame), 0, length);
  }

  @Test
  void shouldAcceptARequestSignedWithTheClustersKeyOnce() {
    byte[] frame = signedPush(sender, 7);
    assertEquals(Frames.HEADER_BYTES + new UnsafeBuffer(frame).getInt(Frames.BODY_LENGTH_OFFSET), frame.length);
    assertNull(check(frame, frame.length));
    assertEquals("replayed request", check(frame, frame.length));
    assertNull(check(signedPush(sender, 8), frame.length), "another request of the same fields has its own nonce");
  }

  @Test
  void shouldRefuseARequestSignedWithAnotherKey() {
    SignedRequests outsider = new SignedRequests(filled(2), MAX_AGE_MS, clockMs::get);
    byte[] frame = signedPush(outsider, 7);
    assertTrue(check(frame, frame.length).startsWith("bad signature"), check(frame, frame.length));
  }

  @Test
  void shouldRefuseARequestWhoseFieldsWereChanged() {
    byte[] frame = signedPush(sender, 7);
    frame[Frames.TRANSFER_ID_OFFSET] ^= 1; // another transfer id
    assertTrue(check(frame, frame.length).startsWith("bad signature"));
    frame[Frames.TRANSFER_ID_OFFSET] ^= 1;
    frame[Frames.HEADER_BYTES + 16] ^= 1; // another chunk index
    assertTrue(check(frame, frame.length).startsWith("bad signature"));
  }

  @Test
  void shouldRefuseUnsignedAndTruncatedRequests() {
    int n = push(7).end();
    byte[] unsigned = new byte[n];
    writer.buffer().getBytes(0, unsigned);
    assertTrue(check(unsigned, unsigned.length).startsWith("bad signature"));
    assertEquals("unsigned or truncated request", check(unsigned, Frames.HEADER_BYTES));
    byte[] frame = signedPush(sender, 7);
    assertTrue(check(frame, frame.length - 1).startsWith("bad signature"));
    assertEquals("unsigned or truncated request", check(frame, Frames.HEADER_BYTES + SignedRequests.TRAILER_BYTES - 1));
    assertNull(check(frame, frame.length), "the whole request still passes: refusals remember nothing");
  }

  @Test
  void shouldRefuseAStaleRequestAndOneFromTheFarFuture() {
    byte[] old = signedPush(sender, 7);
    clockMs.addAndGet(MAX_AGE_MS + 1);
    assertTrue(check(old, old.length).startsWith("stale request"), check(old, old.length));
    byte[] early = signedPush(sender, 8);
    clockMs.addAndGet(-2 * (MAX_AGE_MS + 1));
    assertTrue(check(early, early.length).startsWith("stale request"));
  }

  @Test
  void shouldKeepRefusingAReplayAfterItsNonceIsForgotten() {
    byte[] frame = signedPush(sender, 7);
    assertNull(check(frame, frame.length));
    assertNull(check(signedPush(sender, 8), frame.length));
    assertEquals(2, receiver.remembered());
    clockMs.addAndGet(MAX_AGE_MS + 2_001);
    byte[] fresh = signedPush(sender, 9);
    assertNull(check(fresh, fresh.length));
    assertEquals(1, receiver.remembered(), "nonces of requests that are stale by now are forgotten");
    assertTrue(check(frame, frame.length).startsWith("stale request"));
  }
}
