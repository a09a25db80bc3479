package io.tensorfs.test;

import static io.tensorfs.test.Scrape.named;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.Metadata;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.TfsClientException;
import io.tensorfs.gateway.grpc.v1.HintOp;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.S3Keys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants and tokens on two node processes, over HTTP (the front door and the full server) and gRPC: no
 * read, list, stat, hint or delete across tenants; read-only cannot write; 401 without a valid token, 403
 * for another tenant, the same whether the path exists or not; a token created on one node works on the
 * other at once, and one revoked on node-1 is refused on node-2 within 5 s. A node's HTTP front door answers
 * the first read with a token new to that node from its pages, as it does later ones; its S3 front door
 * answers object reads there too, each counted under its own API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenancyIT {
  private static final Metadata.Key<String> TFS_ERROR = Metadata.Key.of("tfs-error", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration TICK = Duration.ofMillis(500);

  private LocalCluster cluster;
  private String admin;
  private String aWriter;
  private String aReader;
  private String bWriter;
  private final byte[] bytes = new byte[3 << 20];
  private final List<TfsClient> clients = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    List<String> props = new ArrayList<>(LocalCluster.FAST_FAILOVER);
    // A media driver of its own: other clusters on this machine may be starting theirs at the default place.
    props.add("-Dtensorfs.transport.aeron.dir=/dev/shm/tensorfs-aeron-tenancy-it");
    props.add("-Dtensorfs.metrics.tick-interval=" + TICK.toMillis() + "ms");
    cluster = new LocalCluster("tenancy", 2, props).start();
    admin = Files.readString(NodeProcess.adminTokenFile(cluster.node(1).dataDir())).strip();
    aWriter = create(1, "a", "read-write");
    aReader = create(1, "a", "read-only");
    bWriter = create(1, "b", "read-write");
    new Random(11).nextBytes(bytes);
    // Written through node-2 with tokens created on node-1: a new token works on every node at once.
    assertEquals(201, http(2).put("/v1/files/a/data.bin", bytes, bearer(aWriter)).statusCode());
    assertEquals(201, http(2).put("/v1/files/b/data.bin", bytes, bearer(bWriter)).statusCode());
  }

  @AfterAll
  void stop() throws Exception {
    for (TfsClient c : clients) c.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (cluster != null) cluster.close();
  }

  @Test
  void shouldWriteTheAdminTokenFileForItsOwnerOnly() throws Exception {
    Path file = NodeProcess.adminTokenFile(cluster.node(1).dataDir());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertTrue(admin.matches("tfs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}"), "the contract's token format");
    assertEquals(file, NodeProcess.adminTokenFile(cluster.node(2).dataDir()), "both nodes were given one file");
  }

  @Test
  void shouldAnswer401WithoutAValidTokenAndLeaveHealthOpen() throws Exception {
    for (int n = 1; n <= 2; n++) {
      assertEquals(200, http(n).get("/v1/health").statusCode());
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/files/a/data.bin"));
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/list/a"));
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/files/a/data.bin", bearer("garbage")));
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/files/a/data.bin", bearer(unknownToken())));
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/files/a/data.bin", "Authorization", "Basic YTpi"));
      assertError(401, "UNAUTHENTICATED", http(n).put("/v1/files/a/new.bin", bytes));
      assertError(401, "UNAUTHENTICATED", http(n).get("/v1/admin/tokens"));
    }
    // A known id with another token's secret.
    assertError(401, "UNAUTHENTICATED", http(1).get("/v1/files/a/data.bin", bearer(aWriter.substring(0, 17) + admin.substring(17))));
  }

  @Test
  void shouldReadOwnTenantThroughTheFrontDoorAndTheFullServer() throws Exception {
    for (int n = 1; n <= 2; n++) {
      for (int i = 0; i < 2; i++) { // twice: the second time the node has the token verified already
        HttpResponse<byte[]> r = http(n).get("/v1/files/a/data.bin", bearer(aReader));
        assertEquals(200, r.statusCode());
        assertArrayEquals(bytes, r.body());
      }
      assertEquals(206, http(n).get("/v1/files/a/data.bin", "Authorization", "Bearer " + aWriter, "Range", "bytes=0-9").statusCode());
      assertEquals(200, http(n).head("/v1/files/a/data.bin", bearer(aReader)).statusCode());
      assertEquals(200, http(n).get("/v1/stat/a/data.bin", bearer(aReader)).statusCode());
      assertEquals(200, http(n).get("/v1/list/a", bearer(aReader)).statusCode());
      assertEquals(200, http(n).get("/v1/files/a/data.bin", bearer(admin)).statusCode());
      assertEquals(200, http(n).get("/v1/list/", bearer(admin)).statusCode());
    }
  }

  @Test
  void shouldAnswerTheFirstReadWithATokenNewToANodeFromTheFrontDoor() throws Exception {
    String fresh = create(1, "a", "read-only"); // node-2 has never verified it
    URI metrics = Scrape.endpointOf(cluster.node(2).dataDir(), WAIT);
    Predicate<Scrape.Series> direct = named("tensorfs_gateway_front_responses_total", "api", "http", "outcome", "direct");
    Predicate<Scrape.Series> handedOff = named("tensorfs_gateway_front_responses_total", "api", "http", "outcome", "handed-off");
    Scrape before = Scrape.settled(metrics, TICK.multipliedBy(3), List.of(direct, handedOff), WAIT);

    // HTTP/1.1, so that only the token decides (an HTTP/2 upgrade is ignored too, see the next test).
    HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<byte[]> r = http11.send(HttpRequest.newBuilder(URI.create(cluster.node(2).baseUri() + "/v1/files/a/data.bin"))
        .headers(bearer(fresh)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), body(r));
    assertArrayEquals(bytes, r.body());

    Scrape after = Scrape.settled(metrics, TICK.multipliedBy(3), List.of(direct, handedOff), WAIT);
    assertEquals(before.sum(direct) + 1, after.sum(direct), "written by the front door from the cache's pages");
    assertEquals(before.sum(handedOff), after.sum(handedOff), "not handed to the full server");
  }

  /**
   * Java's HttpClient as it comes: its first request asks for an HTTP/2 upgrade. A stat (the full server's) is
   * forwarded on its own, the read after it is written by the front door, and no connection is relayed.
   */
  @Test
  void shouldForwardAStatAndAnswerTheReadAfterItFromTheFrontDoor() throws Exception {
    String reader = create(1, "a", "read-only");
    URI metrics = Scrape.endpointOf(cluster.node(2).dataDir(), WAIT);
    List<Predicate<Scrape.Series>> watched = new ArrayList<>();
    for (String outcome : List.of("direct", "forwarded", "handed-off")) {
      watched.add(named("tensorfs_gateway_front_responses_total", "api", "http", "outcome", outcome));
    }
    Scrape before = Scrape.settled(metrics, TICK.multipliedBy(3), watched, WAIT);

    HttpClient upgrading = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<String> stat = upgrading.send(HttpRequest.newBuilder(URI.create(cluster.node(2).baseUri() + "/v1/stat/a/data.bin"))
        .headers(bearer(reader)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stat.statusCode(), stat.body());
    assertEquals(HttpClient.Version.HTTP_1_1, stat.version());
    HttpResponse<byte[]> read = upgrading.send(HttpRequest.newBuilder(URI.create(cluster.node(2).baseUri() + "/v1/files/a/data.bin"))
        .headers(bearer(reader)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, read.statusCode(), body(read));
    assertArrayEquals(bytes, read.body());

    Scrape after = Scrape.settled(metrics, TICK.multipliedBy(3), watched, WAIT);
    List<Double> moved = new ArrayList<>();
    for (Predicate<Scrape.Series> series : watched) moved.add(after.sum(series) - before.sum(series));
    assertEquals(List.of(1.0, 1.0, 0.0), moved, "direct, forwarded, handed-off");
  }

  @Test
  void shouldAnswerAnS3GetFromTheS3FrontDoorCountedApartFromTheHttpOne(@TempDir Path dir) throws Exception {
    S3Keys.S3Key writer = S3Keys.create(cluster.node(1).baseUri(), admin, "a", "read-write");
    S3Keys.S3Key reader = S3Keys.create(cluster.node(1).baseUri(), admin, "a", "read-only");
    String bucket = "front-" + Long.toHexString(System.nanoTime());
    Path object = Files.write(dir.resolve("object.bin"), bytes);
    aws(1, writer, dir, "s3", "mb", "s3://" + bucket);
    aws(1, writer, dir, "s3", "cp", object.toString(), "s3://" + bucket + "/object.bin");
    URI metrics = Scrape.endpointOf(cluster.node(2).dataDir(), WAIT);
    List<Predicate<Scrape.Series>> watched = new ArrayList<>();
    for (String api : List.of("s3", "http")) {
      for (String outcome : List.of("direct", "handed-off")) {
        watched.add(named("tensorfs_gateway_front_responses_total", "api", api, "outcome", outcome));
      }
    }
    Scrape before = Scrape.settled(metrics, TICK.multipliedBy(3), watched, WAIT);

    Path got = dir.resolve("got.bin");
    aws(2, reader, dir, "s3api", "get-object", "--bucket", bucket, "--key", "object.bin", got.toString());
    assertArrayEquals(bytes, Files.readAllBytes(got));

    Scrape after = Scrape.settled(metrics, TICK.multipliedBy(3), watched, WAIT);
    List<Double> moved = new ArrayList<>();
    for (Predicate<Scrape.Series> series : watched) moved.add(after.sum(series) - before.sum(series));
    assertEquals(List.of(1.0, 0.0, 0.0, 0.0), moved,
        "one S3 response written from the cache's pages, none handed over, none counted as HTTP's");
  }

  /** Runs the AWS CLI against node {@code node}'s S3 port with {@code key}, and fails unless it exits 0. */
  private void aws(int node, S3Keys.S3Key key, Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url", "http://" + cluster.node(node).s3Address(),
        "--no-cli-pager"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    key.awsEnvironment(pb.environment(), dir);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "aws " + String.join(" ", args) + " did not end");
    assertEquals(0, p.exitValue(), "aws " + String.join(" ", args) + ": " + out);
  }

  @Test
  void shouldRefuseEveryOperationOnAnotherTenantAlikeForExistingAndMissingPaths() throws Exception {
    for (int n = 1; n <= 2; n++) {
      TfsHttp h = http(n);
      String[] b = bearer(bWriter);
      HttpResponse<byte[]> existing = h.get("/v1/files/a/data.bin", b);
      HttpResponse<byte[]> missing = h.get("/v1/files/a/no-such.bin", b);
      assertError(403, "FORBIDDEN", existing);
      assertEquals(body(existing), body(missing), "the same answer for a path that exists and one that does not");
      assertFalse(new String(existing.body(), StandardCharsets.UTF_8).contains("data.bin"), "the refusal names no file");
      assertEquals(body(h.get("/v1/stat/a/data.bin", b)), body(h.get("/v1/stat/a/no-such.bin", b)));
      assertEquals(body(h.get("/v1/list/a", b)), body(h.get("/v1/list/a/nothing/here", b)));
      assertError(403, "FORBIDDEN", h.head("/v1/files/a/data.bin", b));
      assertError(403, "FORBIDDEN", h.get("/v1/stat/a/data.bin", b));
      assertError(403, "FORBIDDEN", h.get("/v1/list/a", b));
      assertError(403, "FORBIDDEN", h.get("/v1/list/", b));
      for (String op : List.of("willneed", "dontneed", "pin", "unpin")) {
        assertError(403, "FORBIDDEN", h.send("POST", "/v1/cache/a/data.bin?op=" + op, HttpRequest.BodyPublishers.noBody(), b));
      }
      assertError(403, "FORBIDDEN", h.delete("/v1/files/a/data.bin", b));
      assertError(403, "FORBIDDEN", h.put("/v1/files/a/data.bin", new byte[] {1}, b));
      assertError(403, "FORBIDDEN", h.send("POST", "/v1/checkpoints/a/job/1?op=begin&ranks=1", HttpRequest.BodyPublishers.noBody(), b));
      assertError(403, "FORBIDDEN", h.get("/v1/checkpoints/a/job", b));
      assertError(403, "FORBIDDEN", h.get("/v1/admin/tokens", b));
    }
    HttpResponse<byte[]> still = http(1).get("/v1/files/a/data.bin", bearer(aReader));
    assertArrayEquals(bytes, still.body(), "nothing of tenant a changed");
  }

  @Test
  void shouldLetReadOnlyReadButNotWriteDeleteOrControlTheCache() throws Exception {
    TfsHttp h = http(1);
    String[] r = bearer(aReader);
    assertError(403, "FORBIDDEN", h.put("/v1/files/a/ro.bin", new byte[] {1}, r));
    assertError(403, "FORBIDDEN", h.delete("/v1/files/a/data.bin", r));
    for (String op : List.of("dontneed", "pin", "unpin")) {
      assertError(403, "FORBIDDEN", h.send("POST", "/v1/cache/a/data.bin?op=" + op, HttpRequest.BodyPublishers.noBody(), r));
    }
    assertEquals(200, h.send("POST", "/v1/cache/a/data.bin?op=willneed", HttpRequest.BodyPublishers.noBody(), r).statusCode());
    assertError(403, "FORBIDDEN", h.send("POST", "/v1/checkpoints/a/job/1?op=begin&ranks=1", HttpRequest.BodyPublishers.noBody(), r));
    assertEquals(201, h.send("POST", "/v1/checkpoints/a/rojob/1?op=begin&ranks=1", HttpRequest.BodyPublishers.noBody(),
        bearer(aWriter)).statusCode());
    assertEquals(200, h.get("/v1/checkpoints/a/rojob/1?manifest", r).statusCode());
    assertError(403, "FORBIDDEN", h.delete("/v1/checkpoints/a/rojob/1", r));
    assertError(403, "FORBIDDEN", h.get("/v1/admin/tokens", r));
    assertEquals(200, h.get("/v1/files/a/data.bin", r).statusCode());
  }

  @Test
  void shouldEnforceTheSameRuleOverGrpc() throws Exception {
    for (int n = 1; n <= 2; n++) {
      TfsClient none = client(n, unknownToken());
      assertGrpcRefused(Status.UNAUTHENTICATED, () -> none.stat("/a/data.bin"));
      assertGrpcRefused(Status.UNAUTHENTICATED, () -> none.checkpoints().list("/a/job"));
      TfsClient b = client(n, bWriter);
      assertGrpcRefused(Status.FORBIDDEN, () -> b.stat("/a/data.bin"));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.stat("/a/no-such.bin"));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.list("/a"));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.list("/"));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.readBytes("/a/data.bin", 0, 10));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.hint("/a/data.bin", HintOp.WILLNEED));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.delete("/a/data.bin"));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.write("/a/x.bin", "persistent", new byte[] {1}));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.checkpoints().begin("/a/job/2", 1, "persistent", 0));
      assertGrpcRefused(Status.FORBIDDEN, () -> b.checkpoints().list("/a/job"));
      TfsClient ro = client(n, aReader);
      assertArrayEquals(java.util.Arrays.copyOf(bytes, 10), value(ro.readBytes("/a/data.bin", 0, 10)));
      assertEquals(bytes.length, value(ro.stat("/a/data.bin")).getSize());
      assertGrpcRefused(Status.FORBIDDEN, () -> ro.write("/a/ro.bin", "persistent", new byte[] {1}));
      assertGrpcRefused(Status.FORBIDDEN, () -> ro.delete("/a/data.bin"));
      assertGrpcRefused(Status.FORBIDDEN, () -> ro.hint("/a/data.bin", HintOp.PIN));
      assertEquals(bytes.length, value(client(n, bWriter).stat("/b/data.bin")).getSize());
    }
  }

  @Test
  void shouldRefuseATokenRevokedOnNode1OnNode2WithinFiveSeconds() throws Exception {
    String token = create(1, "a", "read-write");
    assertEquals(200, http(2).get("/v1/files/a/data.bin", bearer(token)).statusCode());
    TfsClient viaGrpc = client(2, token);
    value(viaGrpc.stat("/a/data.bin"));
    String id = token.substring(4, 16);
    long revokedAt = System.nanoTime();
    assertEquals(204, http(1).delete("/v1/admin/tokens/" + id, bearer(admin)).statusCode());
    while (http(2).get("/v1/files/a/data.bin", bearer(token)).statusCode() != 401) {
      assertTrue(System.nanoTime() - revokedAt < Duration.ofSeconds(5).toNanos(), "still accepted on node-2 after 5 s");
      TimeUnit.MILLISECONDS.sleep(100); // polling another process
    }
    long tookMillis = (System.nanoTime() - revokedAt) / 1_000_000;
    assertGrpcRefused(Status.UNAUTHENTICATED, () -> viaGrpc.stat("/a/data.bin"));
    assertError(401, "UNAUTHENTICATED", http(1).get("/v1/files/a/data.bin", bearer(token)));
    System.out.println("TenancyIT: a token revoked on node-1 was refused on node-2 after " + tookMillis + " ms");
    JsonNode listed = TfsHttp.json(http(2).get("/v1/admin/tokens", bearer(admin)));
    boolean found = false;
    for (JsonNode t : listed.get("tokens")) {
      if (t.get("id").asText().equals(id)) {
        found = true;
        assertTrue(t.get("revoked").asBoolean());
        assertEquals("a", t.get("tenant").asText());
        assertEquals("read-write", t.get("role").asText());
      }
    }
    assertTrue(found);
    assertFalse(listed.toString().contains(token.substring(17)), "no secret is listed");
    assertError(404, "NOT_FOUND", http(1).delete("/v1/admin/tokens/0123456789ab", bearer(admin)));
  }

  @Test
  void shouldRefuseBadTokenRequests() throws Exception {
    assertError(400, "BAD_REQUEST", postToken("{\"tenant\":\"a\",\"role\":\"owner\"}"));
    assertError(400, "BAD_REQUEST", postToken("{\"tenant\":\"a\",\"role\":\"admin\"}"));
    assertError(400, "BAD_REQUEST", postToken("{\"tenant\":null,\"role\":\"read-only\"}"));
    assertError(400, "BAD_REQUEST", postToken("{\"tenant\":\"..\",\"role\":\"read-only\"}"));
    assertError(400, "BAD_REQUEST", postToken("not json"));
    JsonNode adminToken = TfsHttp.json(postToken("{\"tenant\":null,\"role\":\"admin\",\"description\":\"ops\"}"));
    assertTrue(adminToken.get("tenant").isNull());
    assertEquals("ops", adminToken.get("description").asText());
    assertEquals(200, http(2).get("/v1/list/", bearer(adminToken.get("token").asText())).statusCode());
  }

  // ---- helpers

  private TfsHttp http(int node) {
    return cluster.httpWithoutToken(node); // every request here names its token, or none on purpose
  }

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private HttpResponse<byte[]> postToken(String json) throws Exception {
    return http(1).send("POST", "/v1/admin/tokens", HttpRequest.BodyPublishers.ofString(json),
        "Authorization", "Bearer " + admin, "Content-Type", "application/json");
  }

  private String create(int node, String tenant, String role) throws Exception {
    HttpResponse<byte[]> r = http(node).send("POST", "/v1/admin/tokens", HttpRequest.BodyPublishers.ofString(
        "{\"tenant\":\"" + tenant + "\",\"role\":\"" + role + "\",\"description\":\"TenancyIT\"}"),
        "Authorization", "Bearer " + admin, "Content-Type", "application/json");
    assertEquals(201, r.statusCode(), body(r));
    JsonNode json = TfsHttp.json(r);
    assertEquals(role, json.get("role").asText());
    assertEquals(tenant, json.get("tenant").asText());
    return json.get("token").asText();
  }

  private static String unknownToken() {
    return "tfs_000000000000_" + "A".repeat(43);
  }

  private TfsClient client(int node, String token) {
    String[] hostPort = cluster.node(node).grpcAddress().split(":");
    TfsClient c = TfsClient.connect(hostPort[0], Integer.parseInt(hostPort[1]), token);
    clients.add(c);
    return c;
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static void assertError(int status, String code, HttpResponse<byte[]> r) throws Exception {
    assertEquals(status, r.statusCode(), body(r));
    if (r.body().length > 0) assertEquals(code, TfsHttp.json(r).get("error").asText(), body(r));
  }

  private static <T> T value(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The call fails with {@code code}, carried by the node's tfs-error trailer. */
  private static void assertGrpcRefused(Status code, Supplier<CompletionStage<?>> call) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> call.get().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    TfsClientException failure = (TfsClientException) e.getCause();
    assertEquals(code, failure.code(), failure.getMessage());
    Metadata trailers = io.grpc.Status.trailersFromThrowable(failure.getCause());
    assertEquals(code.name(), trailers == null ? null : trailers.get(TFS_ERROR), "the tfs-error trailer");
  }
}
