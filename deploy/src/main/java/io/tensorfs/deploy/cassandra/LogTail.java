package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The last lines of a log file, read from its end so a large log costs no more than a small one. */
final class LogTail {

  private static final int MAX_BYTES = 64 * 1024;

  private LogTail() {
  }

  /** A block headed {@code --- <file> ---} with at most {@code lines} last lines; empty if there is none. */
  static String of(Path file, int lines) {
    if (!Files.isRegularFile(file)) {
      return "";
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int size = (int) Math.min(length, MAX_BYTES);
      byte[] bytes = new byte[size];
      raf.seek(length - size);
      raf.readFully(bytes);
      List<String> all = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n"));
      List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
      return "--- " + file + " ---\n" + String.join("\n", last) + "\n";
    } catch (IOException e) {
      return "--- " + file + " unreadable: " + e.getMessage() + " ---\n";
    }
  }
}
