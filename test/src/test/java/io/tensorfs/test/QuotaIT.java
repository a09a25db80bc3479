package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tenant quotas on one real node over HTTP: a declared length over the quota is refused before the body
 * is read, a chunked body that crosses the quota is refused mid-stream leaving nothing visible, the files
 * quota, deletes freeing usage, and the usage shown per tenant.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuotaIT {
  private static final int MIB = 1 << 20;
  private static final long QUOTA = 6L * MIB;

  private NodeProcess node;
  private TfsHttp http;
  /** The admin token's header, when the node wrote an admin token file (authentication on). */
  private String[] auth = new String[0];

  @BeforeAll
  void startNode() throws Exception {
    var cassandra = SharedCassandra.get();
    Path dir = RepoPaths.scratch("quota");
    SharedCassandra.deleteTree(dir);
    node = new NodeProcess("node-1", dir.resolve("node-1"), cassandra.contactPoint(), "it_quota",
        List.of("-Dtensorfs.gateway.chunk-size=4MiB", "-Dtensorfs.tenants.reserve-ahead=1MiB")).start(Duration.ofMinutes(3));
    http = new TfsHttp(node.baseUri());
    Path token = NodeProcess.adminTokenFile(node.dataDir());
    if (Files.isReadable(token)) {
      auth = new String[] {"Authorization", "Bearer " + Files.readString(token, StandardCharsets.UTF_8).strip()};
    }
  }

  @AfterAll
  void stopNode() throws Exception {
    if (node != null) node.close();
  }

  private String[] headers(String... more) {
    List<String> all = new ArrayList<>(List.of(auth));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private HttpResponse<byte[]> setQuota(String tenant, String body) throws Exception {
    return http.send("PUT", "/v1/admin/tenants/" + tenant + "/quota", HttpRequest.BodyPublishers.ofString(body),
        headers("Content-Type", "application/json"));
  }

  private JsonNode tenant(String tenant) throws Exception {
    HttpResponse<byte[]> r = http.get("/v1/admin/tenants/" + tenant, headers());
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return TfsHttp.json(r);
  }

  private HttpResponse<byte[]> put(String path, byte[] bytes) throws Exception {
    return http.put("/v1/files" + path, bytes, headers());
  }

  /** A PUT whose body goes chunked: no Content-Length, so the node learns its size only as it streams. */
  private HttpResponse<byte[]> putChunked(String path, byte[] bytes) throws Exception {
    return http.send("PUT", "/v1/files" + path,
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)), headers());
  }

  /** A new read-only token of {@code tenant}, made with the admin token. */
  private String token(String tenant) throws Exception {
    HttpResponse<byte[]> r = http.send("POST", "/v1/admin/tokens", HttpRequest.BodyPublishers.ofString(
        "{\"tenant\":\"" + tenant + "\",\"role\":\"read-only\",\"description\":\"QuotaIT\"}"),
        headers("Content-Type", "application/json"));
    assertEquals(201, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    return TfsHttp.json(r).get("token").asText();
  }

  private static String error(HttpResponse<byte[]> r) throws Exception {
    return TfsHttp.json(r).get("error").asText();
  }

  @Test
  void shouldRefuseADeclaredLengthOverTheQuotaBeforeReadingTheBody() throws Exception {
    assertEquals(200, setQuota("qdeclared", "{\"maxBytes\":" + QUOTA + ",\"maxFiles\":10}").statusCode());

    // Headers announcing one byte over the quota and 64 KiB of body, then nothing: only an answer given
    // before the body is read can come back.
    String answer = answerToAnnouncedPut("/v1/files/qdeclared/big", QUOTA + 1, 64 << 10);

    assertTrue(answer.startsWith("HTTP/1.1 507"), answer);
    assertTrue(answer.contains("QUOTA_EXCEEDED"), answer);
    assertEquals(404, http.get("/v1/files/qdeclared/big", headers()).statusCode());
    JsonNode t = tenant("qdeclared");
    assertEquals(0, t.get("usedBytes").asLong());
    awaitReserved("qdeclared", 0);
    assertEquals(201, put("/qdeclared/fits", new byte[(int) QUOTA]).statusCode(), "exactly the quota fits");
  }

  /** Sends a PUT's headers with {@code contentLength} and only {@code sent} bytes of body; reads the answer. */
  private String answerToAnnouncedPut(String rawPath, long contentLength, int sent) throws Exception {
    URI base = node.baseUri();
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      StringBuilder request = new StringBuilder("PUT " + rawPath + " HTTP/1.1\r\nHost: " + base.getHost()
          + "\r\nContent-Length: " + contentLength + "\r\n");
      for (int i = 0; i + 1 < auth.length; i += 2) request.append(auth[i]).append(": ").append(auth[i + 1]).append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[sent]);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      while (!answer.toString(StandardCharsets.UTF_8).contains("}")) {
        int n = in.read(buffer); // a timeout here fails the test: the node waited for the body
        if (n < 0) break;
        answer.write(buffer, 0, n);
      }
      return answer.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void shouldRefuseAChunkedBodyThatCrossesTheQuotaAndShowNothingOfIt() throws Exception {
    assertEquals(200, setQuota("qstream", "{\"maxBytes\":" + QUOTA + "}").statusCode());
    assertEquals(201, put("/qstream/first", new byte[2 * MIB]).statusCode());
    JsonNode before = tenant("qstream");
    assertEquals(2L * MIB, before.get("usedBytes").asLong());

    HttpResponse<byte[]> r = putChunked("/qstream/crossing", new byte[10 * MIB]);

    assertEquals(507, r.statusCode());
    assertEquals("QUOTA_EXCEEDED", error(r));
    assertEquals(404, http.get("/v1/files/qstream/crossing", headers()).statusCode(), "nothing partial is visible");
    JsonNode after = tenant("qstream");
    assertEquals(2L * MIB, after.get("usedBytes").asLong());
    assertEquals(1, after.get("usedFiles").asLong());
    assertEquals(0, after.get("reservedBytes").asLong(), "the refusal is answered once its reservation is released");
    assertEquals(201, putChunked("/qstream/rest", new byte[4 * MIB]).statusCode(), "the room left is still there");
    assertEquals(QUOTA, tenant("qstream").get("usedBytes").asLong());
  }

  private void awaitReserved(String tenant, long bytes) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (tenant(tenant).get("reservedBytes").asLong() != bytes && System.nanoTime() < until) Thread.onSpinWait();
    assertEquals(bytes, tenant(tenant).get("reservedBytes").asLong());
  }

  @Test
  void shouldEnforceTheFilesQuotaAndFreeUsageOnDelete() throws Exception {
    HttpResponse<byte[]> set = setQuota("qfiles", "{\"maxBytes\":null,\"maxFiles\":2}");
    assertEquals(200, set.statusCode());
    assertTrue(TfsHttp.json(set).get("maxBytes").isNull());
    assertEquals(2, TfsHttp.json(set).get("maxFiles").asLong());
    assertEquals(201, put("/qfiles/a", new byte[1000]).statusCode());
    assertEquals(201, put("/qfiles/dir/b", new byte[3000]).statusCode());

    HttpResponse<byte[]> third = put("/qfiles/c", new byte[10]);
    assertEquals(507, third.statusCode());
    assertEquals("QUOTA_EXCEEDED", error(third));
    assertEquals(201, put("/qfiles/a", new byte[500]).statusCode(), "replacing a file takes no new one");
    JsonNode t = tenant("qfiles");
    assertEquals(3500, t.get("usedBytes").asLong());
    assertEquals(2, t.get("usedFiles").asLong());

    assertEquals(204, http.delete("/v1/files/qfiles/dir/b", headers()).statusCode());
    t = tenant("qfiles");
    assertEquals(500, t.get("usedBytes").asLong());
    assertEquals(1, t.get("usedFiles").asLong());
    assertEquals(201, put("/qfiles/c", new byte[10]).statusCode());
  }

  @Test
  void shouldShowUsagePerTenant() throws Exception {
    assertEquals(201, put("/qshow-a/x", new byte[700]).statusCode());
    assertEquals(201, put("/qshow-b/y/z", new byte[300]).statusCode());
    assertEquals(200, setQuota("qshow-b", "{\"maxBytes\":5000}").statusCode());
    assertEquals(200, setQuota("qshow-b", "{\"maxFiles\":7}").statusCode()); // the byte limit is kept
    assertEquals(200, setQuota("qshow-c", "{\"maxBytes\":1}").statusCode()); // a quota, no files yet

    HttpResponse<byte[]> all = http.get("/v1/admin/tenants", headers());
    assertEquals(200, all.statusCode());
    JsonNode tenants = TfsHttp.json(all).get("tenants");
    List<String> names = new ArrayList<>();
    JsonNode a = null;
    JsonNode b = null;
    for (JsonNode t : tenants) {
      names.add(t.get("tenant").asText());
      if (t.get("tenant").asText().equals("qshow-a")) a = t;
      if (t.get("tenant").asText().equals("qshow-b")) b = t;
    }
    List<String> sorted = new ArrayList<>(names);
    java.util.Collections.sort(sorted);
    assertEquals(sorted, names, "sorted by tenant");
    assertEquals(700, a.get("usedBytes").asLong());
    assertEquals(1, a.get("usedFiles").asLong());
    assertTrue(a.get("maxBytes").isNull());
    assertEquals(300, b.get("usedBytes").asLong());
    assertEquals(5000, b.get("maxBytes").asLong());
    assertEquals(7, b.get("maxFiles").asLong());
    assertTrue(names.contains("qshow-c"), "a tenant with a quota and no files is listed: " + names);

    HttpResponse<byte[]> own = http.get("/v1/tenants/qshow-b", headers());
    assertEquals(200, own.statusCode());
    assertEquals(TfsHttp.json(own), tenant("qshow-b"));
    String readerOfB = token("qshow-b");
    HttpResponse<byte[]> ownByB = http.get("/v1/tenants/qshow-b", "Authorization", "Bearer " + readerOfB);
    assertEquals(200, ownByB.statusCode(), new String(ownByB.body(), StandardCharsets.UTF_8));
    assertEquals(300, TfsHttp.json(ownByB).get("usedBytes").asLong());
    HttpResponse<byte[]> othersByB = http.get("/v1/tenants/qshow-a", "Authorization", "Bearer " + readerOfB);
    assertEquals(403, othersByB.statusCode());
    assertEquals("FORBIDDEN", error(othersByB));
    assertEquals(403, http.get("/v1/admin/tenants", "Authorization", "Bearer " + readerOfB).statusCode());

    JsonNode never = tenant("qnever");
    assertEquals(0, never.get("usedBytes").asLong());
    assertTrue(never.get("maxFiles").isNull());

    HttpResponse<byte[]> bad = setQuota("qshow-b", "{\"maxBytes\":-1}");
    assertEquals(400, bad.statusCode());
    assertEquals("BAD_REQUEST", error(bad));
    assertEquals(5000, tenant("qshow-b").get("maxBytes").asLong(), "a refused change changes nothing");
  }
}
