package io.tensorfs.faults;

import io.tensorfs.core.Crc32c;
import java.util.SplittableRandom;

/**
 * The bytes of one attempted write, named by a seed and a size so that a history stays small and a
 * replay makes the same bytes. Every attempt of a trial gets its own seed, so two attempts never have
 * the same bytes (unless both are empty). Immutable; any thread.
 *
 * @param id    the attempt's number in its trial, {@code c<client>-<n>}
 * @param seed  seeds the bytes
 * @param sizeBytes the length
 */
public record Body(String id, long seed, int sizeBytes) {

  public byte[] bytes() {
    byte[] out = new byte[sizeBytes];
    SplittableRandom random = new SplittableRandom(seed);
    int i = 0;
    while (i + 8 <= sizeBytes) {
      long v = random.nextLong();
      for (int k = 0; k < 8; k++) out[i++] = (byte) (v >>> (8 * k));
    }
    long v = random.nextLong();
    while (i < sizeBytes) {
      out[i++] = (byte) v;
      v >>>= 8;
    }
    return out;
  }

  /** The CRC32C of {@link #bytes()}, as the node reports a file's. */
  public int crc32c() {
    byte[] b = bytes();
    return Crc32c.of(b, 0, b.length);
  }

  @Override
  public String toString() {
    return id + "(" + sizeBytes + " B, seed " + seed + ")";
  }
}
