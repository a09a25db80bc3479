package io.tensorfs.store.internal;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Finds out, by trying, whether a directory's file system takes O_DIRECT, and at what alignment. */
public final class DirectIoProbe {
  private static final int MIN_ALIGN = 4096;

  private DirectIoProbe() {}

  /** The alignment direct I/O needs in {@code dir}: the file store's block size, at least 4 KiB. */
  public static int alignment(Path dir) throws IOException {
    long block = Files.getFileStore(dir).getBlockSize();
    long align = Math.max(MIN_ALIGN, block);
    if (Long.bitCount(align) != 1 || align > (1 << 20)) return MIN_ALIGN;
    return (int) align;
  }

  /**
   * Writes and reads back one aligned block with O_DIRECT in {@code dir}. Returns null when that
   * works, else the reason (tmpfs, for one, refuses to open a file for direct I/O).
   */
  public static String refusal(Path dir, int align) {
    Path probe = dir.resolve(".direct-io-probe" + ChunkLayout.PART);
    ByteBuffer buf = AlignedBufferPool.allocate(align, align);
    try {
      try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
        while (buf.hasRemaining()) ch.write(buf, buf.position());
        buf.clear();
        ch.read(buf, 0);
      }
      return null;
    } catch (IOException | UnsupportedOperationException e) {
      return e.toString();
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (IOException ignored) {
        // a leftover probe is removed by the next start's probe
      }
    }
  }
}
