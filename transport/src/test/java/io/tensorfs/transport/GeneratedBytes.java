package io.tensorfs.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Deterministic chunk contents: the byte at a position depends on the position and a seed. */
final class GeneratedBytes {
  private GeneratedBytes() {}

  static byte at(long position, int seed) {
    long p = position * 0x9E3779B97F4A7C15L + seed;
    return (byte) (p >>> 56 ^ p >>> 29 ^ position);
  }

  static byte[] fill(long position, int n, int seed) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) out[i] = at(position + i, seed);
    return out;
  }

  /** {@code length} bytes from {@code offset}, in elements of {@code elementBytes}, made on demand; counts what it emitted. */
  static Source<ByteString, NotUsed> source(long offset, long length, int elementBytes, int seed, AtomicLong emitted) {
    long end = offset + length;
    return Source.unfold(offset, pos -> {
      if (pos >= end) return java.util.Optional.empty();
      int n = (int) Math.min(elementBytes, end - pos);
      emitted.addAndGet(n);
      return java.util.Optional.of(Pair.create(pos + n, ByteString.fromArrayUnsafe(fill(pos, n, seed))));
    });
  }

  static int crc(long offset, long length, int seed) {
    CRC32C c = new CRC32C();
    byte[] block = new byte[1 << 20];
    for (long pos = offset; pos < offset + length; pos += block.length) {
      int n = (int) Math.min(block.length, offset + length - pos);
      for (int i = 0; i < n; i++) block[i] = at(pos + i, seed);
      c.update(block, 0, n);
    }
    return (int) c.getValue();
  }

  /** Checks a received stream against the generator as it arrives. */
  static final class Checker {
    private final int seed;
    private long position;
    private long firstMismatch = -1;

    Checker(long offset, int seed) {
      this.position = offset;
      this.seed = seed;
    }

    void accept(ByteString bytes) {
      for (int i = 0; i < bytes.length(); i++) {
        if (firstMismatch < 0 && bytes.apply(i) != at(position + i, seed)) firstMismatch = position + i;
      }
      position += bytes.length();
    }

    long position() {
      return position;
    }

    long firstMismatch() {
      return firstMismatch;
    }
  }
}
