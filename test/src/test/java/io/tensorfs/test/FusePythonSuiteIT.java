package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.MountProcess;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * CPython's own tests of files and directories (Debian's libpython3.11-testsuite: test_os, test_shutil, test_fileio,
 * test_tempfile) with their temporary directory, and so their working directory, on the POSIX mount against a real
 * node. Every test passes or is skipped by CPython itself, except exactly {@link #EXPECTED_FAILURES}, each for a
 * reason the README's "POSIX mount" section lists too. {@code CI=true}: without {@link #SLOW_ON_CI}.
 */
class FusePythonSuiteIT {
  private static final boolean CI = "true".equals(System.getenv("CI"));
  private static final List<String> MODULES = List.of("test_os", "test_shutil", "test_fileio", "test_tempfile");

  /**
   * Test methods left out where {@code CI=true}: each walks a deep tree over and over (test_os's four
   * {@code test_walk_many_open_files} and {@code test_fd_leak}: 321 of the 593 s the suite took on 2 cores,
   * where the whole run then took over 10 minutes). They pass on the mount; a run outside CI includes them.
   */
  static final List<String> SLOW_ON_CI = List.of("test_walk_many_open_files", "test_fd_leak");
  /** How many of the passing tests {@link #SLOW_ON_CI} names (Walk and BytesWalk, Fwalk and BytesFwalk). */
  private static final int SLOW_PASSING = 4;

  /** The tests that fail on the mount, with why: the same list as the README's. */
  static final Map<String, String> EXPECTED_FAILURES = new TreeMap<>(Map.ofEntries(
      Map.entry("test.test_os.Pep383Tests.test_listdir",
          "a name that is not UTF-8: the node's paths are Unicode strings"),
      Map.entry("test.test_os.UtimeTests.test_utime",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_by_indexed",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_by_times",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_dir_fd",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_directory",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_fd",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_os.UtimeTests.test_utime_nofollow_symlinks",
          "the access time is not kept: it reads as the modification time"),
      Map.entry("test.test_shutil.TestCopy.test_copyfile_named_pipe",
          "no special files: mkfifo answers ENOSYS"),
      Map.entry("test.test_tempfile.TestSpooledTemporaryFile.test_del_rolled_file",
          "fstat of a file unlinked while open answers ENOENT: libfuse 2's high-level API has no path for it (reads and writes through the handle work)")));

  /**
   * Tests that pass on an idle machine and may fail on a loaded one, with why (the README lists them too): their
   * failing or passing says nothing about the mount.
   */
  static final Map<String, String> MAY_FAIL_UNDER_LOAD = Map.of(
      "test.test_os.UtimeTests.test_utime_current_old",
      "utime(None) takes the mount's clock when the request arrives; the test allows 50 ms from its own clock",
      "test.test_os.UtimeTests.test_utime_current",
      "utime(path) takes the mount's clock when the request arrives; the test allows 50 ms from its own clock");

  /** Tests that pass on the mount (run as root on Debian 12's Python 3.11, measured): fewer means one broke. */
  static final int MIN_PASSED = 545;

  @Test
  void shouldPassCPythonsFileTestsOnTheMountExceptTheListedOnes() throws Exception {
    Path dir = RepoPaths.scratch("fuse-python");
    SharedCassandra.deleteTree(dir);
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(),
        "it_fuse_python", List.of()).start(Duration.ofMinutes(3));
        MountProcess mount = new MountProcess(dir.resolve("mnt"), node.grpcAddress(), AdminToken.of(node), "py",
            dir.resolve("mount.log"), List.of()).start(Duration.ofMinutes(1))) {
      Path junit = dir.resolve("python-junit.xml");
      Path log = dir.resolve("python-tests.log");
      List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3", "-m", "test", "--junit-xml", junit.toString()));
      if (CI) {
        for (String name : SLOW_ON_CI) command.addAll(List.of("--ignore", name));
      }
      command.addAll(MODULES);
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().put("TMPDIR", mount.dir().toString());
      pb.directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
      Process p = pb.start();
      // The full suite (outside CI) took 10 min 4 s on 2 cores; without the slow tests it took 6 min there.
      int minutes = CI ? 10 : 20;
      assertTrue(p.waitFor(minutes, TimeUnit.MINUTES), "CPython's tests finish within " + minutes + " minutes");

      Map<String, String> failed = new TreeMap<>();
      int passed = 0;
      int skipped = 0;
      NodeList cases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile())
          .getElementsByTagName("testcase");
      for (int i = 0; i < cases.getLength(); i++) {
        Element c = (Element) cases.item(i);
        String method = c.getAttribute("name").substring(c.getAttribute("name").lastIndexOf('.') + 1);
        assertTrue(!CI || !SLOW_ON_CI.contains(method), "left out on CI, yet run: " + c.getAttribute("name"));
        if (c.getElementsByTagName("failure").getLength() + c.getElementsByTagName("error").getLength() > 0) {
          failed.put(c.getAttribute("name"), c.getTextContent().strip());
        } else if (c.getElementsByTagName("skipped").getLength() > 0) {
          skipped++;
        } else {
          passed++;
        }
      }
      String summary = "passed " + passed + ", skipped " + skipped + ", failed " + failed.size() + ":\n"
          + String.join("\n", failed.keySet()) + "\n--- log tail:\n" + tail(log);
      TreeSet<String> unexpected = new TreeSet<>(failed.keySet());
      unexpected.removeAll(MAY_FAIL_UNDER_LOAD.keySet());
      assertEquals(new TreeSet<>(EXPECTED_FAILURES.keySet()), unexpected, summary);
      // A test that may fail under load and did is one fewer passing: it counts toward the floor.
      long failedUnderLoad = failed.keySet().stream().filter(MAY_FAIL_UNDER_LOAD::containsKey).count();
      assertTrue(passed + failedUnderLoad >= (CI ? MIN_PASSED - SLOW_PASSING : MIN_PASSED), summary);
      assertTouchSetsTheCurrentTime(mount.dir(), dir);
      assertEquals(0, mount.unmount(Duration.ofSeconds(30)), mount.logTail());
    }
  }

  /**
   * What the two tests that may fail under load check, without their 50 ms window: {@code touch} (utimensat
   * with no times: "now") sets a file's modification time to a clock reading taken between the call's start and
   * end. The reading may be the mount's own clock (the request arrives as "now") or the kernel's (it stamps the
   * time itself), and the kernel stamps with its coarse clock, which lags {@link System#currentTimeMillis} by up
   * to one tick (a CI run saw 3 ms). So the window opens at a time the kernel stamped on a local file just before
   * the call, and closes at the precise clock after it: any reading of either clock during the call lies inside.
   */
  private static void assertTouchSetsTheCurrentTime(Path mountDir, Path localDir) throws Exception {
    Path file = mountDir.resolve("touched");
    Path reference = localDir.resolve("touched-before");
    Files.writeString(file, "x");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
    assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(file).toMillis(), "an explicit time is kept");
    touch(reference);
    long before = Math.min(Files.getLastModifiedTime(reference).toMillis(), System.currentTimeMillis());
    touch(file);
    long after = System.currentTimeMillis();
    long mtime = Files.getLastModifiedTime(file).toMillis();
    assertTrue(mtime >= before && mtime <= after, "touch set " + mtime + ", not within [" + before + ", " + after + "]");
    Files.delete(file);
    Files.delete(reference);
  }

  private static void touch(Path file) throws Exception {
    Process touch = new ProcessBuilder("touch", file.toString()).redirectErrorStream(true).start();
    assertTrue(touch.waitFor(1, TimeUnit.MINUTES) && touch.exitValue() == 0, new String(touch.getInputStream().readAllBytes()));
  }

  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
