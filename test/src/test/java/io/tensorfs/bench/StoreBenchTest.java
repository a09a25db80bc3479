package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreBenchTest {
  private static final int PIECE = 4 << 20;

  @Test
  void shouldTimeEveryWayAtEveryDepthAndRemoveItsStore(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      StoreBench.run(new String[] {"--dir", dir.toString(), "--size-mib", "64", "--depths", "1,2", "--passes", "1"});
    } finally {
      System.setOut(out);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    for (String depth : new String[] {"depth 1, ", "depth 2, "}) {
      long lines = printed.lines().filter(l -> l.contains(depth) && l.endsWith("of the limit")).count();
      assertEquals(7, lines, "one line per way at " + depth + "in:\n" + printed);
      assertEquals(1, printed.lines().filter(l -> l.contains(depth) && l.contains("store readInto in turns")).count(),
          "the node's way of reading, at " + depth + "in:\n" + printed);
      assertEquals(2, printed.lines().filter(l -> l.contains(depth) && l.contains("loopback copy beside the next line")).count(),
          printed);
    }
    assertTrue(printed.contains("wrote 64 MiB as 1 replicas of 64 MiB"), printed);
    assertFalse(Files.exists(dir.resolve("d0")), "the bench removes the replicas it wrote");
  }

  @Test
  void shouldRefuseAPieceWhosePagesHoldOtherBytes() {
    ByteBuffer pattern = new Pattern(42).buffer();
    long offset = 3L * PIECE; // within the 16 MiB pattern
    ByteBuffer piece = ByteBuffer.allocate(PIECE);
    piece.put(pattern.duplicate().position((int) offset).limit((int) offset + PIECE)).flip();
    assertDoesNotThrow(() -> StoreBench.check(pattern, 0, offset, piece));
    assertThrows(IllegalStateException.class, () -> StoreBench.check(pattern, 0, offset + 4096, piece),
        "a piece read from another place");
    ByteBuffer flipped = ByteBuffer.allocate(PIECE).put(piece.duplicate()).flip();
    flipped.put(8192, (byte) (flipped.get(8192) ^ 1));
    assertThrows(IllegalStateException.class, () -> StoreBench.check(pattern, 0, offset, flipped), "a flipped byte at a page's start");
    assertThrows(IllegalStateException.class, () -> StoreBench.check(pattern, 0, offset, piece.duplicate().limit(PIECE - 4096)),
        "a short read");
  }

  @Test
  void shouldRefuseASizeThatIsNotWholeReplicas() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StoreBench.run(new String[] {"--size-mib", "100"}));
    assertTrue(e.getMessage().contains("multiple of 64"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> StoreBench.run(new String[] {"--depth", "1"}));
  }
}
