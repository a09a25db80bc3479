package io.tensorfs.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * The bytes of the metadata benchmark's small files: a function of the file's name and size, so a reader
 * knows what any file must hold and a file served in place of another (same size, other name) is caught.
 * A file of 8 bytes or more starts with its name's hash and as much of its name as fits, then a fixed
 * seeded pattern; a shorter one holds the first bytes of its name's hash. Stateless; any thread.
 */
final class SmallFiles {
  private static final byte[] FILL = new byte[1 << 20];

  static {
    new Random(12).nextBytes(FILL);
  }

  private SmallFiles() {}

  /** The {@code size} bytes a file called {@code name} holds (size at most 1 MiB). */
  static byte[] of(String name, int size) {
    if (size > FILL.length) throw new IllegalArgumentException("small files are at most " + FILL.length + " bytes");
    long hash = hash(name);
    byte[] b = size < 8 ? new byte[size] : Arrays.copyOf(FILL, size);
    for (int i = 0; i < Math.min(8, size); i++) b[i] = (byte) (hash >>> (8 * i));
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (size > 8) System.arraycopy(n, 0, b, 8, Math.min(n.length, size - 8));
    return b;
  }

  /** Throws unless {@code got} is exactly what {@code name} of {@code size} bytes holds. */
  static void check(String where, String name, int size, byte[] got) {
    if (!Arrays.equals(got, of(name, size))) {
      throw new IllegalStateException(where + ": " + name + " has " + got.length + " bytes that are not the "
          + size + " it was written with");
    }
  }

  private static long hash(String name) {
    long h = 0xcbf29ce484222325L; // FNV-1a, 64 bits
    for (int i = 0; i < name.length(); i++) {
      h ^= name.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
