package io.tensorfs.gateway.http;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.grpc.GrpcTestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 9110 conditional requests on the HTTP API's files (If-Match, If-None-Match on PUT, DELETE, GET,
 * HEAD) and on the front door's direct reads, over a one-node tensorfs in this JVM.
 */
class HttpApiConditionalTest {
  @TempDir
  static Path storeDir;

  private static GrpcTestNode node;
  private static HttpApi api;
  private static FileDirectReads direct;

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir);
    NodeStatus up = new NodeStatus() {
      @Override
      public String nodeId() {
        return "node-http";
      }

      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public List<String> members() {
        return List.of();
      }
    };
    GatewaySettings settings = GatewaySettings.fromConfig(node.testKit.system().settings().config());
    api = new HttpApi(node.testKit.system(), node.files, settings, up);
    direct = new FileDirectReads(node.files, up);
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private record Answer(int status, String etag, String body) {}

  private static Answer send(HttpRequest request, String... headers) {
    for (int i = 0; i < headers.length; i += 2) request = request.addHeader(RawHeader.create(headers[i], headers[i + 1]));
    HttpResponse r = await(api.handle(request));
    String body = await(r.entity().toStrict(10_000, node.testKit.system())).getData().utf8String();
    String etag = r.getHeader("ETag").map(h -> h.value()).orElse(null);
    return new Answer(r.status().intValue(), etag, body);
  }

  private static Answer put(String path, String content, String... headers) {
    return send(HttpRequest.PUT("/v1/files" + path)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, content.getBytes(StandardCharsets.UTF_8))),
        headers);
  }

  private static Answer get(String path, String... headers) {
    return send(HttpRequest.GET("/v1/files" + path), headers);
  }

  private static Answer head(String path, String... headers) {
    return send(HttpRequest.HEAD("/v1/files" + path), headers);
  }

  private static Answer delete(String path, String... headers) {
    return send(HttpRequest.DELETE("/v1/files" + path), headers);
  }

  @Test
  void shouldAnswerTheIssuesSequenceWhenPreconditionsAreSent() {
    String f = "/c/seq";
    assertEquals(201, put(f, "one").status());

    Answer stale = put(f, "seven", "If-Match", "\"7\"");
    assertEquals(412, stale.status());
    assertTrue(stale.body().contains("PRECONDITION_FAILED") && stale.body().contains("is at version 1"), stale.body());
    assertEquals("one", get(f).body(), "a failed If-Match changes nothing");

    Answer two = put(f, "two", "If-Match", "\"1\"");
    assertEquals(201, two.status());
    assertEquals("\"2\"", two.etag());

    Answer notModified = get(f, "If-None-Match", "\"2\"");
    assertEquals(304, notModified.status());
    assertEquals("\"2\"", notModified.etag());
    assertEquals("", notModified.body());

    Answer wrongVersion = get(f, "If-Match", "\"1\"");
    assertEquals(412, wrongVersion.status());
    assertTrue(wrongVersion.body().contains("is at version 2"), wrongVersion.body());

    assertEquals(412, delete(f, "If-Match", "\"1\"").status());
    assertEquals("two", get(f).body());
    assertEquals(204, delete(f, "If-Match", "\"2\"").status());
    assertEquals(404, get(f).status());
  }

  @Test
  void shouldServeWhenPreconditionsHoldAndCompareWeakTagsOnlyForIfNoneMatch() {
    String f = "/c/weak";
    assertEquals(201, put(f, "abc").status());

    Answer served = get(f, "If-Match", "\"5\", \"1\"", "If-None-Match", "\"9\"");
    assertEquals(200, served.status());
    assertEquals("abc", served.body());
    assertEquals(200, get(f, "If-Match", "*").status());
    assertEquals(304, get(f, "If-None-Match", "W/\"1\"").status(), "If-None-Match compares weakly");
    assertEquals(304, get(f, "If-None-Match", "*").status());
    assertEquals(412, get(f, "If-Match", "W/\"1\"").status(), "If-Match compares strongly");
    assertEquals(304, get(f, "If-None-Match", "\"3\"", "If-None-Match", "\"1\"").status(), "repeated headers form one list");
    assertEquals(412, get(f, "If-Match", "\"2\"", "If-None-Match", "\"1\"").status(), "If-Match is decided first");
    assertEquals(304, get(f, "If-Match", "\"1\"", "If-None-Match", "\"1\"").status());
    Answer ranged = get(f, "If-Match", "\"1\"", "Range", "bytes=1-1");
    assertEquals(206, ranged.status());
    assertEquals("b", ranged.body());

    assertEquals(304, head(f, "If-None-Match", "\"1\"").status());
    assertEquals(412, head(f, "If-Match", "\"2\"").status());
    assertEquals(200, head(f, "If-Match", "\"1\"").status());
  }

  @Test
  void shouldCreateOnlyOnceWhenIfNoneMatchIsAny() {
    String f = "/c/create";
    assertEquals(412, put(f, "x", "If-Match", "*").status(), "If-Match: * needs a version");
    assertEquals(404, get(f).status());
    assertEquals(201, put(f, "first", "If-None-Match", "*").status());
    Answer again = put(f, "second", "If-None-Match", "*");
    assertEquals(412, again.status());
    assertTrue(again.body().contains("already exists at version 1"), again.body());
    assertEquals(412, put(f, "third", "If-None-Match", "\"1\"").status());
    assertEquals(201, put(f, "fourth", "If-None-Match", "\"7\"").status());
    assertEquals("fourth", get(f).body());
  }

  @Test
  void shouldAnswerBadRequestWhenAConditionalHeaderIsMalformed() {
    String f = "/c/bad";
    assertEquals(201, put(f, "x").status());
    for (String bad : new String[] {"1", "\"1", "\"1\" \"2\"", "*, \"1\"", "W/1"}) {
      Answer a = put(f, "y", "If-Match", bad);
      assertEquals(400, a.status(), bad);
      assertTrue(a.body().contains("If-Match"), a.body());
    }
    assertEquals(400, delete(f, "If-None-Match", "version 1").status());
    assertEquals(400, get(f, "If-None-Match", "1").status());
    assertEquals("x", get(f).body());
  }

  @Test
  void shouldAnswerNotFoundWhenDeletingAMissingFileWhateverThePrecondition() {
    assertEquals(404, delete("/c/never", "If-Match", "\"1\"").status());
  }

  @Test
  void shouldSealExactlyOneOfConcurrentPutsUnderTheSameIfMatch() {
    String f = "/c/race";
    assertEquals(201, put(f, "base").status());
    List<CompletableFuture<Answer>> puts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String content = "writer " + i + " ".repeat(100_000);
      puts.add(CompletableFuture.supplyAsync(() -> put(f, content, "If-Match", "\"1\"")));
    }
    List<Integer> statuses = puts.stream().map(p -> await(p).status()).sorted().toList();
    assertEquals(List.of(201, 412, 412, 412), statuses);
    assertEquals("\"2\"", get(f).etag());
  }

  @Test
  void shouldHandOverToTheFullServerWhenADirectReadsPreconditionFails() {
    String f = "/c/direct";
    assertEquals(201, put(f, "direct bytes").status());
    String target = "/v1/files" + f;

    var served = await(direct.open("GET", target, Map.of("if-match", "\"1\"", "if-none-match", "\"4\"")));
    assertEquals(200, served.orElseThrow().status());
    served.get().body().close();
    assertTrue(await(direct.open("GET", target, Map.of("if-none-match", "\"1\""))).isEmpty(), "304 is HttpApi's");
    assertTrue(await(direct.open("GET", target, Map.of("if-match", "\"2\""))).isEmpty(), "412 is HttpApi's");
    assertTrue(await(direct.open("HEAD", target, Map.of("if-none-match", "*"))).isEmpty());
    assertTrue(await(direct.open("GET", target, Map.of("if-match", "2"))).isEmpty(), "400 is HttpApi's");
    var head = await(direct.open("HEAD", target, Map.of("if-match", "*")));
    assertEquals(200, head.orElseThrow().status());
    head.get().body().close();
  }
}
