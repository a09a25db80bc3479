package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading the memlock limit from /proc texts. */
class MemlockLimitTest {
  static final String LIMITS = """
      Limit                     Soft Limit           Hard Limit           Units
      Max file size             unlimited            unlimited            bytes
      Max locked memory         8388608              16777216             bytes
      Max address space         unlimited            unlimited            bytes
      """;

  @Test
  void shouldReadTheSoftLimit() {
    assertEquals(8388608, MemlockLimit.softLimit(LIMITS));
  }

  @Test
  void shouldReadUnlimitedAsNoLimit() {
    assertEquals(MemlockLimit.UNLIMITED,
        MemlockLimit.softLimit("Max locked memory         unlimited            unlimited            bytes\n"));
    assertEquals(MemlockLimit.UNLIMITED, MemlockLimit.softLimit("Max open files 1024 1024 files\n"), "absent");
  }

  @Test
  void shouldSeeCapIpcLockInTheEffectiveSet() {
    assertTrue(MemlockLimit.holdsIpcLock("Name:\tjava\nCapEff:\t000001fffeffffff\n"));
    assertFalse(MemlockLimit.holdsIpcLock("CapEff:\t0000000000000000\n"));
    assertFalse(MemlockLimit.holdsIpcLock("CapEff:\t0000000000002000\n"));
    assertTrue(MemlockLimit.holdsIpcLock("CapEff:\t0000000000004000\n"));
  }

  @Test
  void shouldReadThisProcessesLimit() {
    long limit = MemlockLimit.ofThisProcess();
    assertTrue(limit > 0, "a limit or none: " + limit);
  }
}
