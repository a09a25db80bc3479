package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HotSpotsTest {
  private static volatile long sink;

  @Test
  void shouldNameTheThreadAndMethodThatBurnedTheCpu(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("busy.jfr");
    try (Recording recording = new Recording(Configuration.getConfiguration("profile"))) {
      recording.start();
      Thread busy = new Thread(HotSpotsTest::spinForAWhile, "busy-worker-7");
      busy.start();
      busy.join();
      recording.stop();
      recording.dump(file);
    }
    assertTrue(Files.size(file) > 0);
    List<String> lines = HotSpots.of(file).describe(3);
    assertTrue(lines.get(0).endsWith("Java samples") && !lines.get(0).startsWith("0 "), lines.toString());
    int byThread = lines.indexOf("by thread:");
    assertEquals(1, byThread, lines.toString());
    assertTrue(lines.get(byThread + 1).endsWith("busy-worker-N"), "the spinning thread leads, digits folded: " + lines);
    int project = lines.indexOf("in or under tensorfs method:");
    assertTrue(lines.get(project + 1).endsWith("io.tensorfs.bench.HotSpotsTest.spinForAWhile"),
        "the spinning method leads the project view: " + lines);
  }

  /** Arithmetic for 600 ms of CPU, so the recording holds dozens of samples of this thread. */
  private static void spinForAWhile() {
    long until = System.nanoTime() + 600_000_000L;
    long x = 1;
    while (System.nanoTime() < until) {
      for (int i = 0; i < 10_000; i++) x = x * 6364136223846793005L + 1442695040888963407L;
    }
    sink = x;
  }
}
