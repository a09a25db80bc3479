package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SmallFilesTest {
  @Test
  void shouldGiveEachNameItsOwnBytesWhenTheSizeIsTheSame() {
    byte[] a = SmallFiles.of("bench/c1-64k/c0-f1", 64 << 10);
    byte[] b = SmallFiles.of("bench/c1-64k/c0-f2", 64 << 10);
    assertEquals(64 << 10, a.length);
    assertFalse(Arrays.equals(a, b));
    assertArrayEquals(a, SmallFiles.of("bench/c1-64k/c0-f1", 64 << 10), "the same name always has the same bytes");
    assertEquals(1, SmallFiles.of("x", 1).length);
  }

  @Test
  void shouldRefuseBytesOfAnotherFileOrSizeWhenChecked() {
    byte[] right = SmallFiles.of("bench/f1", 4096);
    assertDoesNotThrow(() -> SmallFiles.check("test", "bench/f1", 4096, right));
    assertThrows(IllegalStateException.class, () -> SmallFiles.check("test", "bench/f2", 4096, right));
    assertThrows(IllegalStateException.class,
        () -> SmallFiles.check("test", "bench/f1", 4096, Arrays.copyOf(right, 4095)));
    byte[] flipped = right.clone();
    flipped[4000] ^= 1;
    assertThrows(IllegalStateException.class, () -> SmallFiles.check("test", "bench/f1", 4096, flipped));
  }
}
