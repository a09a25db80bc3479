package io.tensorfs.gateway.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestHeadTest {
  @Test
  void shouldLowerCaseNamesAndJoinRepeatedHeadersWhenParsing() {
    RequestHead head = parse("GET /v1/files/a/b%20c?x=1 HTTP/1.1\r\nHost: n1\r\nX-Tag:  one \r\nx-tag: two\r\n"
        + "Range: bytes=0-9\r\n\r\n");

    assertNotNull(head);
    assertEquals("GET", head.method());
    assertEquals("/v1/files/a/b%20c?x=1", head.target());
    assertEquals(Map.of("host", "n1", "x-tag", "one, two", "range", "bytes=0-9"), head.headers());
    assertTrue(head.isDirectRead());
    assertFalse(head.wantsClose());
  }

  @Test
  void shouldRefuseToParseWhenTheHeadIsNotStrictHttp11() {
    assertNull(parse("GET /v1/files/a HTTP/1.0\r\nHost: n\r\n\r\n"), "HTTP/1.0");
    assertNull(parse("GET /v1/files/a HTTP/2.0\r\nHost: n\r\n\r\n"), "HTTP/2.0");
    assertNull(parse("GET  /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n"), "two spaces");
    assertNull(parse("GET /v1/files/a HTTP/1.1\nHost: n\n\n"), "bare LF");
    assertNull(parse("GET /v1/files/a HTTP/1.1\r\nHost: n\r\n  folded\r\n\r\n"), "folded line");
    assertNull(parse("GET /v1/files/a HTTP/1.1\r\nHost : n\r\n\r\n"), "space before the colon");
    assertNull(parse("GET /v1/files/a HTTP/1.1\r\nNo colon\r\n\r\n"), "no colon");
    assertNull(parse("G(T /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n"), "method not a token");
    assertNull(parse("\r\nGET /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n"), "empty line first");
  }

  @Test
  void shouldHandTheRequestOverWhenItIsNotAPlainFileRead() {
    assertFalse(direct("POST /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n"), "POST");
    assertFalse(direct("GET /v1/stat/a HTTP/1.1\r\nHost: n\r\n\r\n"), "not a file path");
    assertFalse(direct("GET /v1/files HTTP/1.1\r\nHost: n\r\n\r\n"), "the prefix without a file");
    assertFalse(direct("GET http://n/v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n"), "absolute form");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\n\r\n"), "no Host");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nHost: m\r\n\r\n"), "two Hosts");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 5\r\n\r\n"), "a body");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"),
        "two lengths");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n"), "chunked");
    assertFalse(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nExpect: 100-continue\r\n\r\n"), "Expect");
    assertTrue(direct("HEAD /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 0\r\n\r\n"), "an empty body is none");
  }

  /** An HTTP/2 upgrade (Java's HttpClient asks for one on its first request) is ignored, as a server may. */
  @Test
  void shouldAnswerAFileReadAskingForAnUpgradeInHttp11() {
    assertTrue(direct("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQBAAAAAAIAAAAA\r\n\r\n"));
  }

  /** Only a request with no body and no interim answer to wait for is forwarded one at a time. */
  @Test
  void shouldTellARequestWithoutABodyFromOneWithABody() {
    assertTrue(parse("GET /v1/stat/a HTTP/1.1\r\nHost: n\r\n\r\n").hasNoBody());
    assertTrue(parse("DELETE /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 0\r\n\r\n").hasNoBody());
    assertFalse(parse("PUT /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 5\r\n\r\n").hasNoBody());
    assertFalse(parse("PUT /v1/files/a HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n").hasNoBody());
    assertFalse(parse("PUT /v1/files/a HTTP/1.1\r\nHost: n\r\nExpect: 100-continue\r\n\r\n").hasNoBody());
    assertFalse(parse("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")
        .hasNoBody(), "two lengths");
  }

  @Test
  void shouldCloseWhenConnectionListsClose() {
    assertTrue(parse("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nConnection: close\r\n\r\n").wantsClose());
    assertTrue(parse("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nConnection: TE, Close\r\n\r\n").wantsClose());
    assertFalse(parse("GET /v1/files/a HTTP/1.1\r\nHost: n\r\nConnection: keep-alive\r\n\r\n").wantsClose());
  }

  @Test
  void shouldFindTheEndWhenTheHeadArrivesInPieces() {
    byte[] wire = "GET /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\nGET /next".getBytes(StandardCharsets.ISO_8859_1);
    int end = "GET /v1/files/a HTTP/1.1\r\nHost: n\r\n\r\n".length();
    int scanned = 0;
    int found = -1;
    for (int length = 1; length <= wire.length && found < 0; length++) {
      found = RequestHead.findEnd(wire, scanned, length);
      scanned = Math.max(0, length - 2);
    }
    assertEquals(end, found);
    assertEquals(-1, RequestHead.findEnd(wire, 0, end - 1));
    byte[] bareLf = "GET / HTTP/1.1\nHost: n\n\n".getBytes(StandardCharsets.ISO_8859_1);
    assertEquals(bareLf.length, RequestHead.findEnd(bareLf, 0, bareLf.length), "so it is relayed, not waited on");
  }

  private static boolean direct(String text) {
    RequestHead head = parse(text);
    return head != null && head.isDirectRead();
  }

  private static RequestHead parse(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    int end = RequestHead.findEnd(bytes, 0, bytes.length);
    return end < 0 ? null : RequestHead.parse(bytes, end);
  }
}
