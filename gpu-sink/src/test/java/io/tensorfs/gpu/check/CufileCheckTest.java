package io.tensorfs.gpu.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CufileCheckTest {
  @TempDir
  Path dir;

  @Test
  void shouldPickTheDeepestMountWhenNamingAFilesFileSystem() {
    List<String> mountInfo = List.of(
        "22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/l",
        "30 22 253:1 / /data rw,relatime shared:2 - ext4 /dev/vdb rw",
        "31 22 0:40 / /data2 rw - tmpfs tmpfs rw");
    assertEquals("ext4 (/dev/vdb on /data)", CufileEnvironment.fileSystemOf(Path.of("/data/x/f.bin"), mountInfo));
    assertEquals("overlay (overlay on /)", CufileEnvironment.fileSystemOf(Path.of("/database/f"), mountInfo));
    assertEquals("unknown", CufileEnvironment.fileSystemOf(Path.of("/x"), List.of("garbage")));
  }

  @Test
  void shouldAllowAndForceCompatibilityModeWhenWritingTheCheckConfig() throws Exception {
    String json = CufileConfig.json(dir, true);
    assertTrue(json.contains("\"allow_compat_mode\": true"), json);
    assertTrue(json.contains("\"force_compat_mode\": true"), json);
    assertTrue(json.contains("\"dir\": \"" + dir.toAbsolutePath() + "\""), json);
    assertTrue(CufileConfig.json(dir, false).contains("\"force_compat_mode\": false"));
  }

  @Test
  void shouldOfferTheDocumentedFallbacksWhenTryingCufile() throws Exception {
    List<CufileAttempts.Attempt> attempts = CufileAttempts.attempts(dir);
    assertEquals("as installed", attempts.get(0).name());
    assertTrue(attempts.stream().anyMatch(a -> "true".equals(a.env().get("CUFILE_FORCE_COMPAT_MODE"))));
    assertTrue(attempts.stream().anyMatch(a -> a.flags().contains("--cufile-force-compat")));
    assertTrue(attempts.stream().anyMatch(a -> a.flags().contains("--cufile-buffered")));
    String json = attempts.stream().map(a -> a.env().get("CUFILE_ENV_PATH_JSON")).filter(p -> p != null)
        .findFirst().orElseThrow();
    assertTrue(Files.readString(Path.of(json)).contains("allow_compat_mode"));
  }

  @Test
  void shouldKeepTheLastErrorLinesWhenReadingACufileLog() throws Exception {
    Path log = dir.resolve("cufile.log");
    Files.writeString(log, """
        01-01 INFO  cufio:1 started
        01-01 ERROR  cufio:297 cuFileHandleRegister error, file checks failed
        01-01 NOTICE  cufio-fs:451 dumping volume attributes
        """);
    List<String> lines = CufileAttempts.errorsOf(log);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).contains("file checks failed"));
    assertEquals(List.of(), CufileAttempts.errorsOf(dir.resolve("absent.log")));
  }

  @Test
  void shouldParseTheChildsOptionsWhenRunningOneCufileTry() {
    Args a = Args.parse(new String[] {"--cufile-attempt", "x", "--cufile-file", "/tmp/f", "--cufile-force-compat",
        "--cufile-buffered", "--bytes", "4m"});
    assertEquals("x", a.cufileAttempt);
    assertEquals(Path.of("/tmp/f"), a.cufileFile);
    assertTrue(a.cufileForceCompat && a.cufileBuffered);
  }
}
