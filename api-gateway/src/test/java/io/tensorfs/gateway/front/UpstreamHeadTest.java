package io.tensorfs.gateway.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The front door reads of the full server's answer only its status and its body's framing, strictly. */
class UpstreamHeadTest {
  private static UpstreamHead parse(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    int end = RequestHead.findEnd(bytes, 0, bytes.length);
    return end < 0 ? null : UpstreamHead.parse(bytes, end);
  }

  @Test
  void shouldReadTheStatusTheLengthAndWhetherTheServerCloses() {
    UpstreamHead h = parse("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n");
    assertEquals(404, h.status());
    assertEquals(42, h.contentLength());
    assertFalse(h.otherFraming());
    assertFalse(h.close());
    assertTrue(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n").close());
  }

  @Test
  void shouldTellABodyFramedOtherwiseThanByOneLength() {
    assertTrue(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").otherFraming(), "chunked");
    assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").otherFraming(), "two lengths");
    assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n").otherFraming(), "a negative length");
    assertEquals(-1, parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n").contentLength(), "until close");
  }

  @Test
  void shouldKnowAnswersWithoutABody() {
    UpstreamHead ok = parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n");
    assertTrue(ok.hasNoBody("HEAD"));
    assertFalse(ok.hasNoBody("GET"));
    assertTrue(parse("HTTP/1.1 204 No Content\r\n\r\n").hasNoBody("DELETE"));
    assertTrue(parse("HTTP/1.1 304 Not Modified\r\n\r\n").hasNoBody("GET"));
  }

  @Test
  void shouldRefuseWhatIsNotPlainHttp11() {
    assertNull(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"), "another version");
    assertNull(parse("HTTP/1.1 2000 OK\r\n\r\n"), "a status of four digits");
    assertNull(parse("HTTP/1.1 200 OK\nContent-Length: 1\n\n"), "bare LF line ends");
    assertNull(parse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), "a line that is no header");
  }
}
