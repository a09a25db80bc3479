package io.tensorfs.core.memory.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the kernel offers in huge pages, read from {@code /proc} and {@code /sys}. Every reader answers
 * "none" rather than failing where a file is absent (another OS, a locked-down container). The parsers
 * take the files' text, so they are tested without the files. Stateless.
 */
public final class HugePageProbe {
  private static final Path MOUNTS = Path.of("/proc/mounts");
  private static final Path MEMINFO = Path.of("/proc/meminfo");
  private static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
  private static final Path SMAPS_ROLLUP = Path.of("/proc/self/smaps_rollup");

  private HugePageProbe() {}

  /** A hugetlbfs mount point and the size of its huge pages in bytes. */
  public record HugetlbfsMount(Path dir, long hugePageBytes) {}

  /**
   * The hugetlbfs mount to use: {@code preferred} when it is one, else the first listed; empty when
   * there is none.
   */
  public static Optional<HugetlbfsMount> hugetlbfsMount(Path preferred) {
    long defaultBytes = meminfoKb("Hugepagesize") * 1024;
    List<HugetlbfsMount> mounts = parseHugetlbfsMounts(read(MOUNTS), defaultBytes);
    if (preferred != null) {
      Path want = preferred.toAbsolutePath().normalize();
      for (HugetlbfsMount m : mounts) {
        if (m.dir().equals(want)) return Optional.of(m);
      }
    }
    return mounts.stream().findFirst();
  }

  /** Free huge pages of {@code hugePageBytes} each, from {@code /proc/meminfo} or {@code /sys}. */
  public static long freeHugePages(long hugePageBytes) {
    if (hugePageBytes == meminfoKb("Hugepagesize") * 1024) return meminfoKb("HugePages_Free");
    Path sys = Path.of("/sys/kernel/mm/hugepages/hugepages-" + hugePageBytes / 1024 + "kB/free_hugepages");
    try {
      return Long.parseLong(read(sys).trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The selected mode of transparent huge pages: {@code always}, {@code madvise} or {@code never}. */
  public static String transparentMode() {
    return parseTransparentMode(read(THP_ENABLED));
  }

  /** Bytes of this process backed by transparent huge pages; -1 when unknown. */
  public static long anonHugePagesBytes() {
    long kb = parseKb(read(SMAPS_ROLLUP), "AnonHugePages");
    return kb < 0 ? -1 : kb * 1024;
  }

  static long meminfoKb(String key) {
    return Math.max(0, parseKb(read(MEMINFO), key));
  }

  /** {@code always [madvise] never} → {@code madvise}; {@code never} when the text says nothing. */
  public static String parseTransparentMode(String text) {
    int open = text.indexOf('[');
    int close = text.indexOf(']', open + 1);
    return open < 0 || close < 0 ? "never" : text.substring(open + 1, close).trim();
  }

  /** The number after {@code key:} in a meminfo-like text (kB, or a count); -1 when absent. */
  public static long parseKb(String text, String key) {
    for (String line : text.split("\n")) {
      if (!line.startsWith(key + ":")) continue;
      String[] words = line.substring(key.length() + 1).trim().split("\\s+");
      try {
        return Long.parseLong(words[0]);
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  /** The hugetlbfs lines of a {@code /proc/mounts} text; a {@code pagesize=} option overrides the default. */
  public static List<HugetlbfsMount> parseHugetlbfsMounts(String text, long defaultHugePageBytes) {
    List<HugetlbfsMount> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4 || !f[2].equals("hugetlbfs")) continue;
      long size = defaultHugePageBytes;
      for (String option : f[3].split(",")) {
        if (option.startsWith("pagesize=")) size = parseSize(option.substring("pagesize=".length()), size);
      }
      if (size > 0) out.add(new HugetlbfsMount(Path.of(unescape(f[1])), size));
    }
    return out;
  }

  private static long parseSize(String text, long fallback) {
    if (text.isEmpty()) return fallback;
    char unit = Character.toUpperCase(text.charAt(text.length() - 1));
    long scale = switch (unit) {
      case 'K' -> 1L << 10;
      case 'M' -> 1L << 20;
      case 'G' -> 1L << 30;
      default -> 1;
    };
    try {
      return Long.parseLong(scale == 1 ? text : text.substring(0, text.length() - 1)) * scale;
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** /proc/mounts writes a space in a path as {@code \040}. */
  private static String unescape(String field) {
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
