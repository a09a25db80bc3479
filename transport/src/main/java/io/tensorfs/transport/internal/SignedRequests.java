package io.tensorfs.transport.internal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;

/**
 * Signs the requests that start a transfer (FETCH and PUSH) with the cluster's key, and checks the
 * requests peers send. A signed request ends with a trailer: the sender's wall-clock time in milliseconds,
 * a random 64-bit nonce, and an HMAC-SHA256 over every byte of the frame before the MAC (its header with
 * the final body length, its fields, the time and the nonce). A request is accepted only when its MAC is
 * right, its time is within {@code maxAgeMs} of this node's clock, and its nonce was not seen before.
 * Nonces are filed by the second the sender signed them in (a replay carries the same signed time, so one
 * set is looked at) and dropped once that second is out of the window: by then a replay is refused as
 * stale. Memory: about 16 bytes per request taken in the last {@code maxAgeMs}.
 *
 * <p>Only requests are signed: a transfer's other frames are accepted only for a transfer a signed request
 * started (the engine drops the rest), and its data frames carry no MAC, so the data path costs nothing.
 * Owned by the engine's agent thread.
 */
public final class SignedRequests {
  public static final int MAC_BYTES = 32;
  public static final int TRAILER_BYTES = 8 + 8 + MAC_BYTES;
  /** Nonces remembered at most (a sustained 100,000 requests a second for 60 s); beyond it requests are refused until old ones expire. */
  static final int MAX_REMEMBERED = 6_000_000;
  private static final byte[] LABEL = "tensorfs transport request v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private final Mac mac;
  private final long maxAgeMs;
  private final LongSupplier clockMs;
  private final SecureRandom random = new SecureRandom();
  private final byte[] expected = new byte[MAC_BYTES];
  private final byte[] given = new byte[MAC_BYTES];
  private final byte[] scratch = new byte[4096];
  /** Nonces accepted, by the second (of the sender's clock) they were signed in. */
  private final Long2ObjectHashMap<LongHashSet> seen = new Long2ObjectHashMap<>();
  private int remembered;
  private long forgottenBeforeSecond = Long.MIN_VALUE;

  public SignedRequests(byte[] key, long maxAgeMs, LongSupplier clockMs) {
    this.mac = hmac(key);
    this.maxAgeMs = maxAgeMs;
    this.clockMs = clockMs;
  }

  static Mac hmac(byte[] key) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Appends the trailer to the request being written and completes it; returns its length in bytes. */
  public int sign(Frames.Writer w) {
    w.putLong(clockMs.getAsLong()).putLong(random.nextLong());
    int macAt = w.position();
    MutableDirectBuffer b = w.buffer();
    b.putInt(Frames.BODY_LENGTH_OFFSET, macAt + MAC_BYTES - Frames.HEADER_BYTES);
    compute(b, 0, macAt, expected);
    b.putBytes(macAt, expected);
    w.skip(MAC_BYTES);
    return w.end();
  }

  /**
   * Null when the request in {@code buffer[offset, offset+length)} is signed with this cluster's key, fresh
   * and not seen before (its nonce is then remembered); else why it is refused.
   */
  public String check(DirectBuffer buffer, int offset, int length) {
    if (length < Frames.HEADER_BYTES + TRAILER_BYTES) return "unsigned or truncated request";
    int macAt = offset + length - MAC_BYTES;
    compute(buffer, offset, macAt, expected);
    buffer.getBytes(macAt, given);
    if (!MessageDigest.isEqual(expected, given)) return "bad signature (the sender does not hold this cluster's secret)";
    long sentMs = buffer.getLong(macAt - 16);
    long nonce = buffer.getLong(macAt - 8);
    long now = clockMs.getAsLong();
    if (Math.abs(now - sentMs) > maxAgeMs) return "stale request (sent " + (now - sentMs) + " ms ago; clocks more than " + maxAgeMs + " ms apart?)";
    forgetExpired(now);
    if (remembered >= MAX_REMEMBERED) return "too many requests to remember";
    LongHashSet second = seen.computeIfAbsent(Math.floorDiv(sentMs, 1000), s -> new LongHashSet());
    if (!second.add(nonce)) return "replayed request";
    remembered++;
    return null;
  }

  /** The request's fields end where its trailer begins. */
  public static int unsignedLength(int length) {
    return length - TRAILER_BYTES;
  }

  /** Drops the seconds whose requests are refused as stale anyway. */
  private void forgetExpired(long now) {
    long oldest = Math.floorDiv(now - maxAgeMs, 1000) - 1;
    if (oldest <= forgottenBeforeSecond) return;
    forgottenBeforeSecond = oldest;
    for (Long2ObjectHashMap<LongHashSet>.KeyIterator it = seen.keySet().iterator(); it.hasNext(); ) {
      long second = it.nextLong();
      if (second < oldest) {
        remembered -= seen.get(second).size();
        it.remove();
      }
    }
  }

  /** Nonces remembered now. */
  int remembered() {
    return remembered;
  }

  private void compute(DirectBuffer b, int from, int to, byte[] out) {
    mac.update(LABEL);
    for (int p = from; p < to; ) {
      int n = Math.min(scratch.length, to - p);
      b.getBytes(p, scratch, 0, n);
      mac.update(scratch, 0, n);
      p += n;
    }
    try {
      mac.doFinal(out, 0);
    } catch (javax.crypto.ShortBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
