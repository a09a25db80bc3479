package io.tensorfs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import org.junit.jupiter.api.Test;

class CuFileTest {

  @Test
  void shouldGiveAReasonWithoutThrowingWhenLibcufileIsAbsent() {
    CuFile.Probe probe = CuFile.probe();
    assumeFalse(probe.available(), "cuFile works here");
    assertFalse(probe.description().isBlank());
    assertEquals("unknown", probe.mode());
    assertTrue(probe.description().contains("libcufile") || probe.description().contains("cuFileDriverOpen"),
        probe.description());
  }

  @Test
  void shouldNameThePathWhenAnExplicitLibraryIsMissing() {
    CuFile.Probe probe = CuFile.probe("/nonexistent/libcufile.so.0");
    assertFalse(probe.available());
    assertTrue(probe.description().contains("/nonexistent/libcufile.so.0"), probe.description());
    TfsException e = assertThrows(TfsException.class, () -> CuFile.open("/nonexistent/libcufile.so.0"));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
  }

  @Test
  void shouldDecodeBothFieldsWhenAStatusComesBackInOneRegister() {
    CuFile.Status s = CuFile.Status.of((3L << 32) | 5011L);
    assertEquals(5011, s.err());
    assertEquals(3, s.cuErr());
    assertFalse(s.ok());
    assertTrue(s.toString().contains("CUDA driver API error") && s.toString().contains("CUDA driver error 3"),
        s.toString());
    assertTrue(CuFile.Status.of(0).ok());
    assertEquals(-1, CuFile.Status.of(0xFFFF_FFFFL).err(), "err is signed");
  }
}
