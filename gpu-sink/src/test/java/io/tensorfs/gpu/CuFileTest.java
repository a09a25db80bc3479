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

  @Test
  void shouldLayOutTheDescriptorAsLibcufileReadsItWhenRegisteringAnFd() {
    byte[] d = CuFile.descriptor(0x01020304);
    assertEquals(24, d.length, "int type, 8-aligned union of int fd and void*, then the fs_ops pointer");
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertEquals(CuFile.HANDLE_TYPE_OPAQUE_FD, b.getInt(0));
    assertEquals(1, b.getInt(0), "CU_FILE_HANDLE_TYPE_OPAQUE_FD is 1");
    assertEquals(0, b.getInt(4), "padding before the union");
    assertEquals(0x01020304, b.getInt(8), "the fd in the union's first four bytes");
    assertEquals(0, b.getInt(12), "the rest of the union");
    assertEquals(0L, b.getLong(16), "no file system operations for a plain fd");
    assertEquals("010000000000000004030201000000000000000000000000",
        java.util.HexFormat.of().formatHex(d));
  }

  @Test
  void shouldNameBothFieldsWhenAStatusIsReported() {
    CuFile.Status s = CuFile.Status.of(5027L);
    assertEquals("err=5027 cu_err=0", s.fields());
    assertTrue(s.toString().contains("5027") && s.toString().contains("not registered"), s.toString());
    assertEquals(2, CuFile.PARAM_FORCE_COMPAT_MODE, "CUFILE_PARAM_FORCE_COMPAT_MODE");
    assertEquals(1, CuFile.PARAM_ALLOW_COMPAT_MODE, "CUFILE_PARAM_PROPERTIES_ALLOW_COMPAT_MODE");
  }
}
