package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The bench's HTTP client reads a body and checks it beside the reads: the checksum is that of every byte of the body. */
class RawHttpTest {
  @Test
  void shouldAnswerTheCrcOfEveryByteOfTheBody() throws Exception {
    byte[] body = new byte[(5 << 20) + 12345]; // several of the client's buffers, the last one partly filled
    new Random(7).nextBytes(body);
    CRC32C expected = new CRC32C();
    expected.update(body);

    assertEquals((int) expected.getValue(), serveOnce(body, body.length, 200));
  }

  @Test
  void shouldFailWhenTheBodyEndsEarlyOrTheAnswerIsNoSuccess() throws Exception {
    byte[] body = new byte[3 << 20];
    IOException shortBody = assertThrows(IOException.class, () -> serveOnce(body, body.length - 1000, 200));
    assertTrue(shortBody.getMessage().contains("body ended after " + (body.length - 1000)), shortBody.getMessage());
    IOException notFound = assertThrows(IOException.class, () -> serveOnce(body, 0, 404));
    assertTrue(notFound.getMessage().contains("404"), notFound.getMessage());
  }

  /** Answers one request with {@code status} and the first {@code send} bytes of {@code body} (announced whole); returns the client's CRC. */
  private static int serveOnce(byte[] body, int send, int status) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          readHead(in);
          out.write(("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.write(body, 0, send);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      try {
        return RawHttp.fetch(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()),
            "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", body.length);
      } finally {
        served.join();
      }
    }
  }

  private static void readHead(InputStream in) throws IOException {
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) throw new IOException("no request head");
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }
}
