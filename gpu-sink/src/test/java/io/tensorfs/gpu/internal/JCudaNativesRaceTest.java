package io.tensorfs.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processes of one host that load JCuda's natives at once, from a temporary directory where JCuda has not
 * written them yet: each must load them whole. Without the host-wide lock of {@link JCudaRuntime#probe},
 * some of eight such processes died of SIGBUS in the dynamic loader in two of three rounds on the 2-core
 * machine (one loading the file another was still writing); no GPU is needed for it, only the natives.
 */
class JCudaNativesRaceTest {
  private static final int PROCESSES = 8;
  private static final int ROUNDS = 3;

  @Test
  void shouldLoadTheNativesWholeInEveryProcessStartedAtOnce(@TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int round = 0; round < ROUNDS; round++) {
      Path tmp = dir.resolve("round-" + round); // no natives written there yet
      Files.createDirectories(tmp);
      List<Process> started = new ArrayList<>();
      for (int i = 0; i < PROCESSES; i++) {
        started.add(new ProcessBuilder(java, "-Xmx64m", "-Djava.io.tmpdir=" + tmp, "-cp",
            System.getProperty("java.class.path"), ProbeMain.class.getName()).redirectErrorStream(true).start());
      }
      for (Process p : started) {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "round " + round + ": a process did not end");
        assertEquals(0, p.exitValue(), "round " + round + ": a process died loading the natives: " + out);
        assertTrue(out.contains("probed: "), out);
      }
    }
  }

  /** Probes CUDA as a node does at start, and says what it found. */
  public static final class ProbeMain {
    public static void main(String[] args) {
      System.out.println("probed: " + new JCudaRuntime().probe());
    }
  }
}
