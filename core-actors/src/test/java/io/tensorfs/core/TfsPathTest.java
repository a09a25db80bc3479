package io.tensorfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TfsPathTest {
  @Test
  void shouldParseSegmentsAndNavigateWhenPathIsValid() {
    TfsPath p = TfsPath.parse("/tenant/models/llama.safetensors");
    assertEquals(List.of("tenant", "models", "llama.safetensors"), p.segments());
    assertEquals("llama.safetensors", p.name());
    assertEquals("/tenant/models", p.parent().toString());
    assertEquals(List.of(TfsPath.parse("/tenant"), TfsPath.parse("/tenant/models")), p.ancestors());
    assertTrue(TfsPath.parse("/").isRoot());
    assertEquals(p, TfsPath.parse("tenant/models/llama.safetensors"));
  }

  @Test
  void shouldAcceptUnicodeAndLongSegmentsWhenWithinLimits() {
    String max = "é".repeat(127) + "x"; // 255 bytes
    assertEquals(max, TfsPath.parse("/" + max).name());
    assertEquals("日本語", TfsPath.parse("/a/日本語").name());
  }

  @Test
  void shouldRejectWhenPathBreaksTheRules() {
    for (String bad : List.of("/a//b", "/a/", "/a/./b", "/a/../b", "/..", "/a\0b", "/" + "x".repeat(256),
        "/" + "é".repeat(128))) {
      TfsException e = assertThrows(TfsException.class, () -> TfsPath.parse(bad), bad);
      assertEquals(ErrorCode.BAD_PATH, e.code());
    }
  }

  @Test
  void shouldRejectWhenPathIsLongerThan4096Bytes() {
    String seg = "x".repeat(200);
    StringBuilder ok = new StringBuilder();
    while (ok.length() + 201 <= 4096) ok.append('/').append(seg);
    TfsPath.parse(ok.toString());
    assertThrows(TfsException.class, () -> TfsPath.parse(ok + "/" + seg));
  }

  @Test
  void shouldRejectSlashInsideSegmentWhenBuiltFromDecodedSegments() {
    assertThrows(TfsException.class, () -> new TfsPath(List.of("a/b")));
  }
}
