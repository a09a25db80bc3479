package io.tensorfs.bench;

import io.tensorfs.core.Crc32c;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * The bytes a benchmark writes: a block of seeded random bytes, repeated as often as a file needs, kept
 * in an aligned direct buffer (so O_DIRECT and socket writes take it as is), with the CRC32C that a
 * file of any size cycled from it must have.
 */
final class Pattern {
  static final int BYTES = 16 << 20;

  private final byte[] bytes;
  private final ByteBuffer aligned;

  Pattern(long seed) {
    bytes = new byte[BYTES];
    new Random(seed).nextBytes(bytes);
    aligned = ByteBuffer.allocateDirect(BYTES + 4096).alignedSlice(4096);
    aligned.put(bytes).clear();
  }

  /** The aligned direct buffer of the pattern; callers take duplicates to move positions. */
  ByteBuffer buffer() {
    return aligned;
  }

  /** The CRC32C of {@code size} bytes cycled from the pattern, computed without producing them. */
  int crcOf(long size) {
    int whole = Crc32c.of(bytes, 0, bytes.length);
    int crc = 0;
    long left = size;
    while (left >= bytes.length) {
      crc = Crc32c.combine(crc, whole, bytes.length);
      left -= bytes.length;
    }
    if (left > 0) crc = Crc32c.combine(crc, Crc32c.of(bytes, 0, (int) left), left);
    return crc;
  }
}
