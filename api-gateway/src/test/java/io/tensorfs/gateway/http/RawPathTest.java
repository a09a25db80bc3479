package io.tensorfs.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.List;
import org.junit.jupiter.api.Test;

class RawPathTest {
  @Test
  void shouldDecodeEachSegmentWhenEscaped() {
    assertEquals(List.of("a b", "日本"), RawPath.after("/v1/files", "/v1/files/a%20b/%E6%97%A5%E6%9C%AC", false).segments());
    assertEquals(TfsPath.ROOT, RawPath.after("/v1/list", "/v1/list", true));
    assertEquals(TfsPath.ROOT, RawPath.after("/v1/list", "/v1/list/", true));
    assertEquals(TfsPath.parse("/a/b"), RawPath.after("/v1/list", "/v1/list/a/b/", true));
  }

  @Test
  void shouldStripQueryAndAuthorityWhenTakingThePath() {
    assertEquals("/v1/files/a", RawPath.pathOf("/v1/files/a?policy=kvcache"));
    assertEquals("/v1/files/a", RawPath.pathOf("http://127.0.0.1:8080/v1/files/a?x=1"));
  }

  @Test
  void shouldRejectWhenEncodedFormsHideForbiddenSegments() {
    for (String raw : List.of("/v1/files/a/%2e%2e/b", "/v1/files/%2E", "/v1/files/a%2Fb", "/v1/files/a%00b",
        "/v1/files/a%zz", "/v1/files/a%e", "/v1/files/%ff%fe", "/v1/files/a//b", "/v1/files/a/")) {
      TfsException e = assertThrows(TfsException.class, () -> RawPath.after("/v1/files", raw, false), raw);
      assertEquals(ErrorCode.BAD_PATH, e.code(), raw);
    }
  }
}
