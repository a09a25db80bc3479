package io.tensorfs.gateway.front;

import static io.tensorfs.gateway.front.TestUpstream.ANSWERED_BY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorfs.gateway.front.FakeDirectReads.FakeSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrontServerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final int MIB = 1 << 20;
  /** The bytes of the fake's first three pieces: one of 1 MiB, then its two multi-buffer shapes. */
  private static final long FIRST_THREE_PIECES = MIB + (7_000 + 300_001 + 123_457) + (65_536 + 1 + 500_000);

  private static TestUpstream upstream;
  private static FakeDirectReads reads;
  private static FrontServer front;
  private static HttpClient http;
  private static byte[] model;
  private static byte[] small;
  private final List<FrontServer> extraFronts = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    upstream = new TestUpstream();
    reads = new FakeDirectReads();
    model = random(6 * MIB + 123, 1);
    small = random(1000, 2);
    reads.put("model.bin", model);
    reads.put("small.bin", small);
    reads.put("empty.bin", new byte[0]);
    front = FrontServer.start("http", settings(256, Duration.ofSeconds(60), 4 * MIB), reads, upstream.address());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterEach
  void checkContract() {
    extraFronts.forEach(FrontServer::close);
    assertEquals(List.of(), reads.errors, "uses of the DirectReads contract that break it");
  }

  @AfterAll
  static void stop() throws Exception {
    front.close();
    upstream.close();
  }

  @Test
  void shouldSendTheExactBodyWhenAGetIsAnsweredDirectly() throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri("/v1/files/model.bin"))
        .header("X-Test", "a").header("X-Test", "b").build(), BodyHandlers.ofByteArray());

    assertEquals(200, r.statusCode());
    assertArrayEquals(model, r.body());
    assertEquals(Optional.of(String.valueOf(model.length)), r.headers().firstValue("content-length"));
    assertEquals(Optional.of("tensorfs"), r.headers().firstValue("server"));
    assertEquals(Optional.of("hit"), r.headers().firstValue("x-tfs-cache"));
    assertEquals(Optional.of("\"v1\""), r.headers().firstValue("etag"));
    assertTrue(r.headers().firstValue("date").orElseThrow()
        .matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"));
    assertEquals(Optional.empty(), r.headers().firstValue(ANSWERED_BY));
    assertEquals("a, b", reads.lastHeaders.get("x-test"));
    awaitFinished("model.bin");
    assertTrue(reads.sourcesOf("model.bin").get(0).handed.get() >= 6, "the body came in several pieces");
  }

  @Test
  void shouldSendHeadersWithoutBodyWhenTheRequestIsHead() throws Exception {
    int before = reads.sourcesOf("small.bin").size();

    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri("/v1/files/small.bin"))
        .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofByteArray());

    assertEquals(200, r.statusCode());
    assertEquals(Optional.of("1000"), r.headers().firstValue("content-length"));
    assertEquals(Optional.of("application/octet-stream"), r.headers().firstValue("content-type"));
    assertEquals(0, r.body().length);
    FakeSource source = reads.sourcesOf("small.bin").get(before);
    awaitFinished("small.bin");
    assertEquals(0, source.handed.get(), "no piece is asked for a HEAD");
  }

  @Test
  void shouldAnswerEveryRequestOnOneConnectionWhenKeptAlive() throws Exception {
    long acceptedBefore = front.stats().accepted();
    long directBefore = front.stats().direct();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      for (int i = 0; i < 3; i++) {
        c.send(RawHttp.get("/v1/files/model.bin"));
        RawHttp.Response r = c.read();
        assertEquals(200, r.status());
        assertArrayEquals(model, r.body());
        assertNull(r.header("connection"));
      }
      c.send(RawHttp.request("HEAD", "/v1/files/model.bin"));
      assertEquals(String.valueOf(model.length), c.read(true).header("content-length"));
      // Two requests in one write: the second waits in the buffer while the first is answered.
      c.send(RawHttp.get("/v1/files/small.bin") + RawHttp.get("/v1/files/empty.bin"));
      assertArrayEquals(small, c.read().body());
      RawHttp.Response empty = c.read();
      assertEquals("0", empty.header("content-length"));
      assertEquals(0, empty.body().length);
    }
    assertEquals(acceptedBefore + 1, front.stats().accepted());
    await(() -> front.stats().direct() == directBefore + 6, "six responses written directly");
    awaitFinished("empty.bin");
  }

  @Test
  void shouldRelayAChunkedPutAndTheRestOfItsConnectionToTheFullServer() throws Exception {
    byte[] upload = random(3 * MIB + 5, 3);
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/small.bin"));
      RawHttp.Response direct = c.read();
      assertArrayEquals(small, direct.body());
      assertNull(direct.header(ANSWERED_BY));

      sendChunked(c, "/v1/files/chunked.bin", upload);
      RawHttp.Response put = c.read();
      assertEquals(201, put.status());
      assertEquals("upstream", put.header(ANSWERED_BY));
      assertEquals("{\"stored\":" + upload.length + "}", put.text());

      c.send(RawHttp.get("/v1/files/chunked.bin"));
      RawHttp.Response got = c.read();
      assertEquals(200, got.status());
      assertEquals("upstream", got.header(ANSWERED_BY));
      assertArrayEquals(upload, got.body());

      c.send(RawHttp.get("/v1/files/small.bin"));
      assertEquals("upstream", c.read().header(ANSWERED_BY), "a relayed connection stays relayed");
    }
    assertArrayEquals(upload, upstream.stored.get("/v1/files/chunked.bin"));
  }

  @Test
  void shouldForwardRequestsWithoutABodyOneAtATimeAndAnswerTheNextDirectly() throws Exception {
    byte[] upOnly = random(300_000, 6);
    upstream.stored.put("/v1/files/up-only.bin", upOnly);
    FrontStats before = front.stats();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/missing.bin"));
      RawHttp.Response missing = c.read();
      assertEquals(404, missing.status());
      assertEquals("upstream", missing.header(ANSWERED_BY));
      assertEquals(TestUpstream.notFoundJson("/v1/files/missing.bin"), missing.text());

      c.send(RawHttp.get("/v1/files/small.bin"));
      RawHttp.Response direct = c.read();
      assertArrayEquals(small, direct.body());
      assertNull(direct.header(ANSWERED_BY), "answered directly after a forwarded request");

      // A file only the full server has, its HEAD (a length and no body), then a direct read, in one write.
      c.send(RawHttp.get("/v1/files/up-only.bin") + RawHttp.request("HEAD", "/v1/files/up-only.bin")
          + RawHttp.get("/v1/files/small.bin"));
      RawHttp.Response got = c.read();
      assertEquals("upstream", got.header(ANSWERED_BY));
      assertArrayEquals(upOnly, got.body());
      RawHttp.Response head = c.read(true);
      assertEquals("upstream", head.header(ANSWERED_BY));
      assertEquals(String.valueOf(upOnly.length), head.header("content-length"));
      RawHttp.Response again = c.read();
      assertNull(again.header(ANSWERED_BY));
      assertArrayEquals(small, again.body());
    } finally {
      upstream.stored.remove("/v1/files/up-only.bin");
    }
    assertEquals(before.forwarded() + 3, front.stats().forwarded());
    assertEquals(before.handedOff(), front.stats().handedOff(), "no connection was relayed");
    await(() -> front.stats().direct() == before.direct() + 2, "two responses written directly");
    awaitFinished("small.bin");
  }

  @Test
  void shouldRelayFromAnAnswerItCannotFrameOnWithWhatTheClientSentAfterIt() throws Exception {
    long handedBefore = front.stats().handedOff();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get(TestUpstream.CHUNKED_PREFIX + "abc") + RawHttp.get("/v1/files/small.bin"));
      RawHttp.Response chunked = c.read();
      assertEquals("chunked", chunked.header("transfer-encoding"));
      assertEquals("abcabcabc", chunked.text());
      RawHttp.Response next = c.read();
      assertEquals(404, next.status());
      assertEquals("upstream", next.header(ANSWERED_BY), "the connection is relayed from the chunked answer on");
    }
    assertEquals(handedBefore + 1, front.stats().handedOff());
  }

  @Test
  void shouldSendAnIdempotentRequestAgainAndAnswer502ToAPostWhenTheKeptConnectionClosesUnanswered() throws Exception {
    // A full server that answers a connection's first request, then reads its second and closes unanswered.
    try (ServerSocketChannel failing = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread server = new Thread(() -> {
        byte[] answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
        try {
          while (true) {
            try (SocketChannel s = failing.accept()) {
              for (int request = 0; request < 2; request++) {
                ByteBuffer in = ByteBuffer.allocate(4096);
                String text;
                while (!(text = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1)).contains("\r\n\r\n")) {
                  if (s.read(in) < 0) break;
                }
                received.add(text.split(" ", 2)[0]);
                if (request == 0) s.write(ByteBuffer.wrap(answer));
              }
            }
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "closing-server");
      server.setDaemon(true);
      server.start();
      FrontServer door = extraFront(settings(8, Duration.ofSeconds(60), 0), (InetSocketAddress) failing.getLocalAddress());
      try (RawHttp c = new RawHttp(door.localAddress())) {
        c.send(RawHttp.request("GET", "/v1/stat/a"));
        assertEquals(200, c.read().status(), "the first connection's first request");
        c.send(RawHttp.request("DELETE", "/v1/files/a"));
        RawHttp.Response deleted = c.read();
        assertEquals(200, deleted.status(), "a DELETE left unanswered is sent once more, on a new connection");
        c.send(RawHttp.request("POST", "/v1/cache/a?op=willneed"));
        RawHttp.Response posted = c.read();
        assertEquals(502, posted.status(), "a POST left unanswered may have been done: it is not sent again");
        assertEquals(-1, c.in.read(), "the client connection is closed after the 502");
      }
      assertEquals(List.of("GET", "DELETE", "DELETE", "POST"), received);
    }
  }

  @Test
  void shouldConnectAgainWhenTheFullServerClosedTheKeptConnection() throws Exception {
    // A full server that answers one request per connection and then closes it, as one does at its idle timeout.
    try (ServerSocketChannel once = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      List<Integer> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread server = new Thread(() -> {
        byte[] answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
        try {
          while (true) {
            try (SocketChannel s = once.accept()) {
              accepted.add(accepted.size() + 1);
              ByteBuffer in = ByteBuffer.allocate(4096);
              while (!new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                if (s.read(in) < 0) break;
              }
              s.write(ByteBuffer.wrap(answer));
            }
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "one-answer-server");
      server.setDaemon(true);
      server.start();
      FrontServer door = extraFront(settings(8, Duration.ofSeconds(60), 0), (InetSocketAddress) once.getLocalAddress());
      try (RawHttp c = new RawHttp(door.localAddress())) {
        for (String method : List.of("GET", "GET", "DELETE")) {
          c.send(RawHttp.request(method, "/v1/stat/a"));
          RawHttp.Response r = c.read();
          assertEquals(200, r.status(), method);
          assertEquals("ok", r.text(), method);
        }
      }
      assertEquals(3, accepted.size(), "one upstream connection per request");
      await(() -> door.stats().forwarded() == 3, "three requests counted as forwarded");
    }
  }

  /** Java's HttpClient asks for an HTTP/2 upgrade on its first request: the front door answers it in HTTP/1.1. */
  @Test
  void shouldAnswerAFileReadAskingForAnHttp2UpgradeDirectly() throws Exception {
    long directBefore = front.stats().direct();
    HttpClient upgrading = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<byte[]> r = upgrading.send(HttpRequest.newBuilder(uri("/v1/files/small.bin")).build(),
        BodyHandlers.ofByteArray());

    assertEquals(200, r.statusCode());
    assertEquals(HttpClient.Version.HTTP_1_1, r.version());
    assertArrayEquals(small, r.body());
    assertEquals(Optional.empty(), r.headers().firstValue(ANSWERED_BY));
    await(() -> front.stats().direct() == directBefore + 1, "the read answered directly");
  }

  @Test
  void shouldRelayWhenDirectReadsAnswersEmpty() throws Exception {
    byte[] upload = random(5 * MIB, 4);
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri("/v1/files/uploaded.bin"))
        .PUT(BodyPublishers.ofByteArray(upload)).build(), BodyHandlers.ofString());
    assertEquals(201, put.statusCode());
    assertEquals(Optional.of("upstream"), put.headers().firstValue(ANSWERED_BY));

    int opensBefore = reads.opens.get();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/uploaded.bin"));
      RawHttp.Response got = c.read();
      assertEquals(200, got.status());
      assertEquals("upstream", got.header(ANSWERED_BY));
      assertArrayEquals(upload, got.body());
    }
    assertEquals(opensBefore + 1, reads.opens.get(), "the front asked DirectReads first");
  }

  @Test
  void shouldPassTheFullServersErrorWhenTheFileIsUnknown() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/files/missing.bin")).build(),
        BodyHandlers.ofString());

    assertEquals(404, r.statusCode());
    assertEquals(TestUpstream.notFoundJson("/v1/files/missing.bin"), r.body());
    assertEquals(Optional.of("application/json"), r.headers().firstValue("content-type"));
  }

  @Test
  void shouldRelayWhenTheHeadIsTooLarge() throws Exception {
    upstream.stored.put("/v1/files/small.bin", small);
    int opensBefore = reads.opens.get();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/small.bin", "X-Padding: " + "p".repeat(70_000)));
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("upstream", r.header(ANSWERED_BY));
      assertArrayEquals(small, r.body());
    } finally {
      upstream.stored.remove("/v1/files/small.bin");
    }
    assertEquals(opensBefore, reads.opens.get());
  }

  @Test
  void shouldRelayWhenTheRequestIsNotHttp11() throws Exception {
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send("GET /v1/files/small.bin HTTP/1.0\r\nHost: localhost\r\n\r\n");
      RawHttp.Response r = c.read();
      assertEquals(404, r.status());
      assertEquals("upstream", r.header(ANSWERED_BY));
    }
  }

  @Test
  void shouldCloseAfterTheResponseWhenTheClientAsksConnectionClose() throws Exception {
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/small.bin", "Connection: close"));
      RawHttp.Response r = c.read();
      assertArrayEquals(small, r.body());
      assertEquals("close", r.header("connection"));
      assertEquals(-1, c.in.read());
    }
  }

  @Test
  void shouldReleaseEveryPieceWhenTheClientLeavesMidBody() throws Exception {
    long cutBefore = front.stats().cutOff();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/endless-leaver"));
      RawHttp.Response head = c.readHead();
      assertEquals(String.valueOf(FakeDirectReads.ENDLESS_BYTES), head.header("content-length"));
      byte[] some = c.in.readNBytes(MIB);
      for (int i = 0; i < some.length; i++) assertEquals(FakeDirectReads.patternByte(i), some[i]);
      c.socket.setSoLinger(true, 0);
    }
    awaitFinished("endless-leaver");
    await(() -> front.stats().cutOff() == cutBefore + 1, "the response counted as cut off");
    assertTrue(reads.sourcesOf("endless-leaver").get(0).handed.get() < 256, "the front stopped asking for pieces");
  }

  @Test
  void shouldSendEveryBodyExactlyWhenTwentyConnectionsReadAtOnce() throws Exception {
    int clients = 20;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    CountDownLatch connected = new CountDownLatch(clients);
    CountDownLatch go = new CountDownLatch(1);
    long acceptedBefore = front.stats().accepted();
    try {
      List<Future<byte[]>> bodies = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        bodies.add(pool.submit(() -> {
          try (RawHttp c = new RawHttp(front.localAddress())) {
            connected.countDown();
            go.await();
            c.send(RawHttp.get("/v1/files/model.bin"));
            return c.read().body();
          }
        }));
      }
      assertTrue(connected.await(10, TimeUnit.SECONDS));
      // Every client holds its socket until go: twenty accepted means twenty open at once.
      await(() -> front.stats().accepted() == acceptedBefore + clients, "twenty connections accepted");
      go.countDown();
      for (Future<byte[]> body : bodies) assertArrayEquals(model, body.get(30, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    awaitFinished("model.bin");
  }

  @Test
  void shouldCutTheConnectionWhenTheSourceFailsMidBody() throws Exception {
    long cutBefore = front.stats().cutOff();
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/failing-after-3-mid"));
      RawHttp.Response head = c.readHead();
      assertEquals(200, head.status());
      assertEquals(String.valueOf(FakeDirectReads.FAILING_BYTES), head.header("content-length"));
      assertEquals(FIRST_THREE_PIECES, c.drain(), "the pieces before the failure, then the end of the connection");
    }
    awaitFinished("failing-after-3-mid");
    assertEquals(cutBefore + 1, front.stats().cutOff());
  }

  @Test
  void shouldRelayWhenTheSourceFailsBeforeAnyByteIsSent() throws Exception {
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/failing-after-0-first"));
      RawHttp.Response r = c.read();
      assertEquals(404, r.status());
      assertEquals("upstream", r.header(ANSWERED_BY));
      assertEquals(TestUpstream.notFoundJson("/v1/files/failing-after-0-first"), r.text());
    }
    awaitFinished("failing-after-0-first");
  }

  @Test
  void shouldRelayTheWholeAnswerWhenTheClientShutsDownItsOutput() throws Exception {
    byte[] upload = random(200_000, 5);
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(("PUT /v1/files/half.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + upload.length + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      c.send(upload);
      c.socket.shutdownOutput();
      RawHttp.Response r = c.read();
      assertEquals(201, r.status());
      assertEquals("upstream", r.header(ANSWERED_BY));
    }
    assertArrayEquals(upload, upstream.stored.get("/v1/files/half.bin"));
  }

  @Test
  void shouldDeliverAnEarlyAnswerWhenTheFullServerClosesBeforeTheBodyEnds() throws Exception {
    // The full server answers from the head alone (a 412, 413 or 507) and closes with the body unread, which
    // resets its side; the client, still sending, must get the answer and a clean end, not a reset.
    String answer = "HTTP/1.1 412 Precondition Failed\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno";
    try (ServerSocketChannel early = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      Thread server = new Thread(() -> {
        try (SocketChannel s = early.accept()) {
          ByteBuffer head = ByteBuffer.allocate(4096);
          while (!new String(head.array(), 0, head.position(), StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
            if (s.read(head) < 0) return;
          }
          s.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (IOException ignored) {
          // the test fails on the client's side
        }
      });
      server.start();
      FrontServer relay = extraFront(settings(8, Duration.ofSeconds(60), 0), (InetSocketAddress) early.getLocalAddress());
      byte[] body = random(32 * MIB, 9);
      try (RawHttp c = new RawHttp(relay.localAddress())) {
        c.send("PUT /v1/files/early.bin HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: *\r\nContent-Length: "
            + body.length + "\r\n\r\n");
        server.join(10_000);
        c.send(body);
        RawHttp.Response r = c.read();
        assertEquals(412, r.status());
        assertEquals("no", r.text());
      }
    }
  }

  @Test
  void shouldAnswerDirectlyAndCloseWhenTheClientShutsDownItsOutput() throws Exception {
    try (RawHttp c = new RawHttp(front.localAddress())) {
      c.send(RawHttp.get("/v1/files/model.bin"));
      c.socket.shutdownOutput();
      assertArrayEquals(model, c.read().body());
      assertEquals(-1, c.in.read());
    }
  }

  @Test
  void shouldAnswer503WhenMaxConnectionsAreOpen() throws Exception {
    FrontServer two = extraFront(settings(2, Duration.ofSeconds(60), 0), upstream.address());
    try (RawHttp a = new RawHttp(two.localAddress()); RawHttp b = new RawHttp(two.localAddress())) {
      for (RawHttp c : List.of(a, b)) {
        c.send(RawHttp.get("/v1/files/small.bin"));
        assertArrayEquals(small, c.read().body());
      }
      try (RawHttp third = new RawHttp(two.localAddress())) {
        RawHttp.Response r = third.read();
        assertEquals(503, r.status());
        assertEquals("close", r.header("connection"));
        assertTrue(r.text().contains("\"error\":\"UNAVAILABLE\""), r.text());
      }
    }
    await(() -> two.stats().open() == 0, "both connections ended");
    try (RawHttp again = new RawHttp(two.localAddress())) {
      again.send(RawHttp.get("/v1/files/small.bin"));
      assertArrayEquals(small, again.read().body());
    }
    assertEquals(1, two.stats().refused());
  }

  @Test
  void shouldCloseAConnectionWhenItStaysIdleLongerThanTheIdleTimeout() throws Exception {
    FrontServer quick = extraFront(settings(8, Duration.ofMillis(300), 0), upstream.address());
    try (RawHttp c = new RawHttp(quick.localAddress())) {
      c.send(RawHttp.get("/v1/files/small.bin"));
      assertArrayEquals(small, c.read().body());
      assertEquals(-1, c.in.read(), "closed by the front while waiting for a next request");
    }
  }

  @Test
  void shouldCutAClientThatStopsReadingWhenTheIdleTimeoutPasses() throws Exception {
    FrontServer quick = extraFront(settings(8, Duration.ofMillis(300), 64 * 1024), upstream.address());
    try (RawHttp c = new RawHttp(quick.localAddress(), 64 * 1024)) {
      c.send(RawHttp.get("/v1/files/endless-stalled"));
      awaitFinished("endless-stalled");
      await(() -> quick.stats().cutOff() == 1, "the stalled response counted as cut off");
    }
  }

  @Test
  void shouldAnswer503WhenTheFullServerCannotBeReached() throws Exception {
    InetSocketAddress nobody;
    try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
      nobody = (InetSocketAddress) s.getLocalAddress();
    }
    FrontServer orphan = extraFront(settings(8, Duration.ofSeconds(60), 0), nobody);
    try (RawHttp c = new RawHttp(orphan.localAddress())) {
      c.send(RawHttp.request("DELETE", "/v1/files/small.bin"));
      RawHttp.Response r = c.read();
      assertEquals(503, r.status());
      assertTrue(r.text().contains("\"error\":\"UNAVAILABLE\""), r.text());
      assertEquals(-1, c.in.read());
    }
  }

  private static FrontSettings settings(int maxConnections, Duration idleTimeout, int sendBufferBytes) {
    return new FrontSettings(true, "127.0.0.1", 0, maxConnections, 64 * 1024, sendBufferBytes, idleTimeout);
  }

  private FrontServer extraFront(FrontSettings settings, InetSocketAddress to) throws Exception {
    FrontServer server = FrontServer.start("http", settings, reads, to);
    extraFronts.add(server);
    return server;
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + front.localAddress().getPort() + path);
  }

  /** Sends a chunked PUT in several writes, the first carrying the head with the start of the body. */
  private static void sendChunked(RawHttp c, String path, byte[] body) throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.write(("PUT " + path + " HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    int chunk = 100_003;
    for (int at = 0; at < body.length; at += chunk) {
      int n = Math.min(chunk, body.length - at);
      wire.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      wire.write(body, at, n);
      wire.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    wire.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    byte[] bytes = wire.toByteArray();
    for (int at = 0; at < bytes.length; at += 250_000) {
      c.out.write(bytes, at, Math.min(250_000, bytes.length - at));
      c.out.flush();
    }
  }

  /** Waits until every source opened for {@code name} is closed and every piece it handed out released. */
  private static void awaitFinished(String name) {
    await(() -> {
      List<FakeSource> sources = reads.sourcesOf(name);
      return !sources.isEmpty()
          && sources.stream().allMatch(s -> s.closed() && s.handed.get() == s.released.get());
    }, name + ": every source closed and every piece released");
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("not within " + DEADLINE + ": " + what);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }
}
