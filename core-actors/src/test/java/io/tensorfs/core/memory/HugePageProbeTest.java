package io.tensorfs.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.memory.internal.HugePageProbe;
import io.tensorfs.core.memory.internal.HugePageProbe.HugetlbfsMount;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HugePageProbeTest {
  @Test
  void shouldReadSelectedTransparentMode() {
    assertEquals("madvise", HugePageProbe.parseTransparentMode("always [madvise] never\n"));
    assertEquals("always", HugePageProbe.parseTransparentMode("[always] madvise never"));
    assertEquals("never", HugePageProbe.parseTransparentMode(""));
  }

  @Test
  void shouldReadMeminfoValues() {
    String meminfo = "MemTotal:       24000000 kB\nHugePages_Free:       12\nHugepagesize:       2048 kB\n";
    assertEquals(12, HugePageProbe.parseKb(meminfo, "HugePages_Free"));
    assertEquals(2048, HugePageProbe.parseKb(meminfo, "Hugepagesize"));
    assertEquals(-1, HugePageProbe.parseKb(meminfo, "AnonHugePages"));
  }

  @Test
  void shouldFindHugetlbfsMountsWithTheirPageSize() {
    String mounts = """
        proc /proc proc rw,nosuid 0 0
        hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
        none /mnt/huge\\0401g hugetlbfs rw,pagesize=1G 0 0
        none /mnt/plain hugetlbfs rw 0 0
        """;
    List<HugetlbfsMount> found = HugePageProbe.parseHugetlbfsMounts(mounts, 2 << 20);
    assertEquals(List.of(
        new HugetlbfsMount(Path.of("/dev/hugepages"), 2 << 20),
        new HugetlbfsMount(Path.of("/mnt/huge 1g"), 1L << 30),
        new HugetlbfsMount(Path.of("/mnt/plain"), 2 << 20)), found);
  }

  @Test
  void shouldAnswerNoneRatherThanFailWhenProbingThisMachine() {
    String mode = HugePageProbe.transparentMode();
    assertTrue(List.of("always", "madvise", "never").contains(mode), mode);
    assertTrue(HugePageProbe.anonHugePagesBytes() >= -1);
  }
}
