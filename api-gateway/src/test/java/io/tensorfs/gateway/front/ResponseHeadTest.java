package io.tensorfs.gateway.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseHeadTest {
  @Test
  void shouldWriteStatusHeadersLengthAndOwnHeadersWhenTheResponseIsValid() {
    String head = ResponseHead.of(response(206, 10, Map.entry("Content-Range", "bytes 0-9/100")), true);

    assertTrue(head.startsWith("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/100\r\n"
        + "Content-Length: 10\r\nDate: "), head);
    assertTrue(head.endsWith(" GMT\r\nServer: tensorfs\r\nConnection: close\r\n\r\n"), head);
    assertTrue(ResponseHead.of(response(200, 0), false).endsWith("Server: tensorfs\r\n\r\n"));
  }

  @Test
  void shouldRefuseWhenTheResponseIsNotOneTheFrontMaySend() {
    assertNull(ResponseHead.of(response(404, 0), false), "another status");
    assertNull(ResponseHead.of(response(200, -1), false), "a negative length");
    assertNull(ResponseHead.of(response(200, 1, Map.entry("content-length", "1")), false), "its own header");
    assertNull(ResponseHead.of(response(200, 1, Map.entry("Connection", "close")), false), "its own header");
    assertNull(ResponseHead.of(response(200, 1, Map.entry("X-A", "b\r\nX-Injected: c")), false), "CRLF in a value");
    assertNull(ResponseHead.of(response(200, 1, Map.entry("X A", "b")), false), "a name that is no token");
  }

  @Test
  void shouldUseItsOwnBufferWhenTheHeadDoesNotFitTheReusedOne() {
    ByteBuffer reuse = ByteBuffer.allocateDirect(8);
    ByteBuffer small = ResponseHead.encode("12345", reuse);
    assertTrue(small == reuse);
    assertEquals(5, small.remaining());
    ByteBuffer large = ResponseHead.encode("123456789", reuse);
    assertEquals("123456789", StandardCharsets.ISO_8859_1.decode(large).toString());
  }

  @SafeVarargs
  private static DirectResponse response(int status, long length, Map.Entry<String, String>... headers) {
    return new DirectResponse() {
      @Override
      public int status() {
        return status;
      }

      @Override
      public List<Map.Entry<String, String>> headers() {
        return List.of(headers);
      }

      @Override
      public long contentLength() {
        return length;
      }

      @Override
      public BodySource body() {
        throw new AssertionError("not read by the head");
      }
    };
  }
}
