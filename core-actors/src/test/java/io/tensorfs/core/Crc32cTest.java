package io.tensorfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cTest {
  @Test
  void shouldEqualCrcOfConcatenationWhenCombiningTwoRanges() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      byte[] bytes = new byte[random.nextInt(5000)];
      random.nextBytes(bytes);
      int split = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
      int a = Crc32c.of(bytes, 0, split);
      int b = Crc32c.of(bytes, split, bytes.length - split);
      CRC32C whole = new CRC32C();
      whole.update(bytes);
      assertEquals((int) whole.getValue(), Crc32c.combine(a, b, bytes.length - split), "trial " + trial);
    }
  }

  @Test
  void shouldFoldManyBlocksIntoTheWholeCrcWhenCombiningInOrder() {
    byte[] bytes = new byte[1 << 20];
    new Random(1).nextBytes(bytes);
    int block = 64 << 10;
    int crc = 0;
    for (int off = 0; off < bytes.length; off += block) crc = Crc32c.combine(crc, Crc32c.of(bytes, off, block), block);
    assertEquals(Crc32c.of(bytes, 0, bytes.length), crc);
  }

  @Test
  void shouldAgreeWithCombineWhenUsingACachedShift() {
    Random random = new Random(3);
    for (long length : new long[] {1, 7, 4096, 65536, 1 << 20, 3_000_001}) {
      Crc32c.Shift shift = Crc32c.Shift.of(length);
      for (int i = 0; i < 20; i++) {
        int a = random.nextInt();
        int b = random.nextInt();
        assertEquals(Crc32c.combine(a, b, length), shift.combine(a, b), "length " + length);
      }
    }
  }

  @Test
  void shouldMatchKnownCheckValueWhenHashing123456789() {
    byte[] digits = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, Crc32c.of(digits, 0, digits.length));
    assertEquals("e3069283", Crc32c.hex(0xE3069283));
  }
}
