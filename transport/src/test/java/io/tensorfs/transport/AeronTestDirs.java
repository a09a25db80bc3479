package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;

final class AeronTestDirs {
  private AeronTestDirs() {}

  /** A driver closed cleanly deletes its directory; a test leaves nothing behind. */
  static void assertRemoved(String dir) {
    if (dir != null) assertFalse(new File(dir).exists(), "driver directory left behind: " + dir);
  }
}
