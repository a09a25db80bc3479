package io.tensorfs.gateway.grpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which names a request may give, and what is opened for them; a temporary directory stands in for /dev/shm. */
class SharedMemorySegmentsTest {
  @TempDir Path shm;
  @TempDir Path elsewhere;

  private SharedMemorySegments segments() {
    return new SharedMemorySegments(shm, "tfs-", 4);
  }

  private static String refused(Runnable r) {
    TfsException e = assertThrows(TfsException.class, r::run);
    assertEquals(ErrorCode.BAD_REQUEST, e.code(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void shouldMapASegmentTheClientMade() throws Exception {
    Files.writeString(shm.resolve("tfs-1234-abcdef"), "hello segment");
    List<ByteBuffer> slices = segments().slices("tfs-1234-abcdef", 6, 7);
    byte[] got = new byte[7];
    slices.get(0).get(got);
    assertEquals("segment", new String(got, StandardCharsets.US_ASCII));
  }

  @Test
  void shouldAcceptOnlyPlainNamesInTheNodesNamespace() {
    SharedMemorySegments s = segments();
    assertEquals("tfs-1-x", s.checkName("tfs-1-x"));
    assertTrue(refused(() -> s.checkName("tfs-../../etc/passwd")).contains("no '/'"));
    assertTrue(refused(() -> s.checkName("tfs-a/b")).contains("no '/'"));
    assertTrue(refused(() -> s.checkName("tfs-a\0b")).contains("no '/', NUL"));
    assertTrue(refused(() -> s.checkName("tfs-..")).contains(".."));
    assertTrue(refused(() -> s.checkName("")).contains("needs a shared-memory segment name"));
    assertTrue(refused(() -> s.checkName("tfs-" + "x".repeat(300))).contains("longer than"));
    assertTrue(refused(() -> s.checkName("tensorfs-aeron-root")).contains("outside this node's namespace"));
    assertTrue(refused(() -> s.checkName("passwd")).contains("outside this node's namespace"));
  }

  @Test
  void shouldRefuseASymbolicLinkPlantedAtASegmentsName() throws Exception {
    Path target = elsewhere.resolve("secret.txt");
    Files.writeString(target, "not for clients");
    Files.createSymbolicLink(shm.resolve("tfs-planted"), target);
    String why = refused(() -> segments().slices("tfs-planted", 0, 3));
    assertTrue(why.contains("symbolic link"), why);
    assertEquals("not for clients", Files.readString(target), "the link's target is untouched");
  }

  @Test
  void shouldRefuseALinkToADirectoryAndAMissingSegment() throws Exception {
    Files.createSymbolicLink(shm.resolve("tfs-dir"), elsewhere);
    assertTrue(refused(() -> segments().slices("tfs-dir", 0, 1)).contains("symbolic link"));
    assertTrue(refused(() -> segments().slices("tfs-absent", 0, 1)).contains("no shared-memory segment"));
  }
}
