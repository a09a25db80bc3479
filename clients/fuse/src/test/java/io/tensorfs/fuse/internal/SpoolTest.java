package io.tensorfs.fuse.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.client.TfsClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.ErrorCodes;

class SpoolTest {
  @TempDir Path dir;

  private static Pointer bytes(byte... b) {
    Pointer p = Memory.allocateDirect(Runtime.getSystemRuntime(), Math.max(1, b.length));
    p.put(0, b, 0, b.length);
    return p;
  }

  @Test
  void shouldReadBackWritesAtOffsetsWithZerosInTheHoles() throws Exception {
    try (Spool s = Spool.create(dir)) {
      s.write(bytes((byte) 1, (byte) 2), 0, 2);
      s.write(bytes((byte) 9), 5, 1);
      assertEquals(6, s.size());
      Pointer out = Memory.allocateDirect(Runtime.getSystemRuntime(), 16);
      assertEquals(6, s.read(out, 0, 16), "a read past the end is short");
      byte[] got = new byte[6];
      out.get(0, got, 0, 6);
      assertArrayEquals(new byte[] {1, 2, 0, 0, 0, 9}, got);
      assertArrayEquals(got, s.stream().readAllBytes(), "the upload stream reads the whole spool from its start");
    }
  }

  @Test
  void shouldCutAndExtendWithZerosWhenTruncated() throws Exception {
    try (Spool s = Spool.create(dir)) {
      s.write(bytes((byte) 1, (byte) 2, (byte) 3), 0, 3);
      s.truncate(1);
      s.truncate(4);
      assertArrayEquals(new byte[] {1, 0, 0, 0}, s.stream().readAllBytes());
    }
  }

  @Test
  void shouldRemoveItsFileWhenClosed() throws Exception {
    Spool s = Spool.create(dir);
    s.write(bytes((byte) 1), 0, 1);
    s.close();
    try (var left = Files.list(dir)) {
      assertEquals(0, left.count());
    }
  }

  @Test
  void shouldMapTheNodesErrorCodesToErrnos() {
    assertEquals(ErrorCodes.ENOENT(), Errnos.of(new TfsClientException(Status.NOT_FOUND, "no such file", null)).errno());
    assertEquals(ErrorCodes.ENOTEMPTY(), Errnos.of(new TfsClientException(Status.CONFLICT, "/t/d is not empty", null)).errno());
    assertEquals(ErrorCodes.EEXIST(), Errnos.of(new TfsClientException(Status.CONFLICT, "/t/d exists", null)).errno());
    assertEquals(ErrorCodes.EXDEV(), Errnos.of(new TfsClientException(Status.BAD_REQUEST, "cross-tenant rename", null)).errno());
    assertEquals(ErrorCodes.EIO(), Errnos.of(new TfsClientException(Status.UNAVAILABLE, "io exception", null)).errno());
    assertEquals(ErrorCodes.EDQUOT(), Errnos.of(new TfsClientException(Status.QUOTA_EXCEEDED, "over", null)).errno());
    assertEquals(ErrorCodes.EIO(), Errnos.of(new IllegalStateException("a bug")).errno());
  }
}
