package io.tensorfs.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerHttpClientTest {
  private HttpServer server;
  private URI base;
  private final HttpClient client = new BearerHttpClient(HttpClient.newHttpClient(), "tfs_0123456789ab_secret");

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // Answers with the Authorization header it got, "-" for none.
    server.createContext("/", exchange -> {
      byte[] body = exchange.getRequestHeaders().getOrDefault("Authorization", java.util.List.of("-")).get(0)
          .getBytes(StandardCharsets.US_ASCII);
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void shouldAddTheTokenToEveryRequestSentOrSentAsync() throws Exception {
    HttpRequest put = HttpRequest.newBuilder(base.resolve("/v1/files/t/a"))
        .PUT(HttpRequest.BodyPublishers.ofString("abc")).build();
    assertEquals("Bearer tfs_0123456789ab_secret", client.send(put, HttpResponse.BodyHandlers.ofString()).body());
    HttpRequest get = HttpRequest.newBuilder(base.resolve("/v1/files/t/a")).build();
    assertEquals("Bearer tfs_0123456789ab_secret",
        client.sendAsync(get, HttpResponse.BodyHandlers.ofString()).get(30, TimeUnit.SECONDS).body());
  }

  @Test
  void shouldKeepAnAuthorizationTheRequestSetsItself() throws Exception {
    HttpRequest other = HttpRequest.newBuilder(base.resolve("/v1/files/t/a")).header("Authorization", "Bearer other")
        .build();
    assertEquals("Bearer other", client.send(other, HttpResponse.BodyHandlers.ofString()).body());
  }

  @Test
  void shouldReadTheAdminTokenWithoutItsNewlineAndSayWhenThereIsNone(@TempDir Path dir) throws Exception {
    Path nodeDir = dir.resolve("node-1");
    assertEquals(dir.resolve("admin.token"), NodeProcess.adminTokenFile(nodeDir));
    IllegalStateException missing = assertThrows(IllegalStateException.class,
        () -> AdminToken.read(NodeProcess.adminTokenFile(nodeDir)));
    assertTrue(missing.getMessage().contains("no admin token at " + dir.resolve("admin.token")), missing.getMessage());
    Files.writeString(dir.resolve("admin.token"), "tfs_0123456789ab_secret\n");
    assertEquals("tfs_0123456789ab_secret", AdminToken.read(NodeProcess.adminTokenFile(nodeDir)));
  }
}
