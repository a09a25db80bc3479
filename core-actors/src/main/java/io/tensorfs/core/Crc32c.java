package io.tensorfs.core;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) helpers. {@link #combine} joins the CRCs of two adjacent byte ranges without
 * reading the bytes again, so a chunk's CRC is derived from its block CRCs and a file's from its
 * chunks' (the method of zlib's {@code crc32_combine}, over the Castagnoli polynomial).
 */
public final class Crc32c {
  private static final int POLY_REFLECTED = 0x82F63B78;

  private Crc32c() {}

  public static int of(ByteBuffer bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes.duplicate());
    return (int) c.getValue();
  }

  public static int of(byte[] bytes, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(bytes, offset, length);
    return (int) c.getValue();
  }

  /** CRC of A followed by B, from crc(A), crc(B) and the length of B in bytes. */
  public static int combine(int crcA, int crcB, long lengthB) {
    if (lengthB <= 0) return crcA;
    int[] even = new int[32];
    int[] odd = new int[32];
    odd[0] = POLY_REFLECTED; // the operator for one zero bit
    int row = 1;
    for (int n = 1; n < 32; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd); // two zero bits
    square(odd, even); // four zero bits
    int a = crcA;
    long len = lengthB;
    do {
      square(even, odd);
      if ((len & 1) != 0) a = times(even, a);
      len >>>= 1;
      if (len == 0) break;
      square(odd, even);
      if ((len & 1) != 0) a = times(odd, a);
      len >>>= 1;
    } while (len != 0);
    return a ^ crcB;
  }

  private static int times(int[] matrix, int vector) {
    int sum = 0;
    for (int i = 0; vector != 0; i++, vector >>>= 1) {
      if ((vector & 1) != 0) sum ^= matrix[i];
    }
    return sum;
  }

  private static void square(int[] out, int[] matrix) {
    for (int n = 0; n < 32; n++) out[n] = times(matrix, matrix[n]);
  }

  /**
   * The combine operator for one fixed length of B, built once: each use is 32 steps instead of the
   * full matrix powering of {@link #combine}. A chunk's blocks all share one length, so a store
   * folds its block CRCs with one cached Shift. Immutable; thread-safe.
   */
  public static final class Shift {
    private static final java.util.concurrent.ConcurrentHashMap<Long, Shift> CACHE = new java.util.concurrent.ConcurrentHashMap<>();
    private final int[] matrix = new int[32];

    private Shift(long lengthB) {
      // The operator is linear: its column i is what combine does to the single bit i.
      for (int i = 0; i < 32; i++) matrix[i] = Crc32c.combine(1 << i, 0, lengthB);
    }

    /** The operator for {@code lengthB} bytes, built on first use of that length. */
    public static Shift of(long lengthB) {
      return CACHE.computeIfAbsent(lengthB, Shift::new);
    }

    /** CRC of A followed by B, where B has this operator's length. */
    public int combine(int crcA, int crcB) {
      return times(matrix, crcA) ^ crcB;
    }
  }

  /** Hex form used on the wire: eight lower-case digits. */
  public static String hex(int crc) {
    return String.format("%08x", crc);
  }
}
