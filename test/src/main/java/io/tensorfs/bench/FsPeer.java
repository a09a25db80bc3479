package io.tensorfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The peer of the metadata benchmark: the local file system, on the disk the node keeps its data on, doing
 * what a durable small-file create is there: write a temporary file, fsync it, rename it into place, fsync
 * the directory; and the stat and read of such files. Names and bytes are those of {@link SmallFiles}.
 * Stateless apart from its root; any thread.
 */
final class FsPeer {
  private final Path root;

  FsPeer(Path root) throws IOException {
    this.root = Files.createDirectories(root);
  }

  /** The directory {@code dir} (relative, e.g. {@code "round/c3"}), made if missing. */
  Path dir(String dir) throws IOException {
    return Files.createDirectories(root.resolve(dir));
  }

  /** Creates {@code name} in {@code dir} durably: temp file written and fsynced, renamed, directory fsynced. */
  void create(Path dir, String name, int size) throws IOException {
    Path tmp = dir.resolve("." + name + ".tmp");
    try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(SmallFiles.of(name, size));
      while (b.hasRemaining()) f.write(b);
      f.force(true);
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** The size of {@code name} in {@code dir} (a stat), checked. */
  void stat(Path dir, String name, int size) throws IOException {
    long got = Files.size(dir.resolve(name));
    if (got != size) throw new IllegalStateException("fs peer: " + name + " has " + got + " bytes, not " + size);
  }

  /** Reads {@code name} in {@code dir} and checks its bytes. */
  void read(Path dir, String name, int size) throws IOException {
    SmallFiles.check("fs peer", name, size, Files.readAllBytes(dir.resolve(name)));
  }
}
