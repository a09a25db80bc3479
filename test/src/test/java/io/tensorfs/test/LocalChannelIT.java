package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.BatchSession;
import io.tensorfs.client.KvClient;
import io.tensorfs.client.Sges;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.local.LocalChannel;
import io.tensorfs.client.local.SharedBuffer;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.harness.NodeProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The local channel against a node process: the Java client attaches one on connect, reads and writes and
 * KV calls go through it byte-exact, the client falls back to gRPC when the channel is off, and a client
 * process killed mid-request leaves the node serving (its channel detached and its file removed).
 */
class LocalChannelIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static LocalCluster cluster;
  private static String token;
  private static String host;
  private static int port;
  private static final List<TfsClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new LocalCluster("localchan", 1, LocalCluster.FAST_FAILOVER).start();
    token = Files.readString(NodeProcess.adminTokenFile(cluster.node(1).dataDir())).strip();
    String[] hostPort = cluster.node(1).grpcAddress().split(":");
    host = hostPort[0];
    port = Integer.parseInt(hostPort[1]);
  }

  @AfterAll
  static void stop() throws Exception {
    for (TfsClient c : clients) c.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (cluster != null) cluster.close();
  }

  private static TfsClient client(boolean local) {
    TfsClient c = TfsClient.connect(host, port, token, local);
    clients.add(c);
    return c;
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void shouldWriteThenReadOneByteAndOneMebibyteThroughTheChannel() throws Exception {
    TfsClient client = client(true);
    assertTrue(client.local(), "the node is on this host: the client attaches a channel");
    LocalChannel ch = client.localChannel().orElseThrow();
    for (int size : new int[] {1, 1 << 20}) {
      byte[] bytes = random(size, size);
      String path = "/lc/file-" + size;
      assertEquals(size, await(ch.write(path, "", List.of(ByteBuffer.wrap(bytes)), 0)));
      ByteBuffer back = ByteBuffer.allocate(size);
      assertEquals(size, ch.join(ch.read(path, 0, List.of(back), 0), WAIT));
      assertArrayEquals(bytes, back.array());
      // The same bytes over gRPC: the channel wrote a real version.
      assertArrayEquals(bytes, await(client(false).readBytes(path, 0, 0)));
    }
    // The batch API over the channel, into a shared segment named as over gRPC.
    byte[] bytes = random(1 << 20, 9);
    try (SharedBuffer shared = SharedBuffer.allocate(2 << 20)) {
      shared.slice(0, bytes.length).put(bytes);
      BatchSession batch = client.openBatch();
      batch.submit(Submission.newBuilder().setId(1).setOp(Op.PWRITEV).setPath("/lc/batch").setPolicy("kvcache")
          .addSges(Sges.host(shared.name(), 0, bytes.length)).build());
      Completion written = await(batch.collect(1, WAIT)).get(0);
      assertEquals(Status.OK, written.getStatus(), written.getMessage());
      batch.preadv(2, "/lc/batch", 0, List.of(Sges.host(shared.name(), 1 << 20, bytes.length)), 0);
      Completion read = await(batch.collect(1, WAIT)).get(0);
      assertEquals(Status.OK, read.getStatus(), read.getMessage());
      assertEquals(bytes.length, read.getValue());
      byte[] got = new byte[bytes.length];
      shared.slice(1 << 20, bytes.length).get(got);
      assertArrayEquals(bytes, got);
      batch.preadv(3, "/lc/none", 0, List.of(Sges.host(shared.name(), 0, 1)), 0);
      assertEquals(Status.NOT_FOUND, await(batch.collect(1, WAIT)).get(0).getStatus());
      await(batch.close());
    }
  }

  @Test
  void shouldPutGetExistsAndRemoveKvBlocksThroughTheChannel() throws Exception {
    TfsClient client = client(true);
    assertTrue(client.local());
    assertEquals("LocalKv", client.kv().getClass().getSimpleName(), "kv() goes through the channel");
    checkKv(client.kv(), "lckv");
  }

  @Test
  void shouldFallBackToGrpcWhenTheChannelIsOff() throws Exception {
    String before = System.getProperty(TfsClient.LOCAL_PROPERTY);
    System.setProperty(TfsClient.LOCAL_PROPERTY, "off");
    try {
      TfsClient off = TfsClient.connect(host, port, token);
      clients.add(off);
      assertFalse(off.local());
      assertEquals("GrpcKv", off.kv().getClass().getSimpleName());
      checkKv(off.kv(), "lcgrpc");
    } finally {
      if (before == null) System.clearProperty(TfsClient.LOCAL_PROPERTY);
      else System.setProperty(TfsClient.LOCAL_PROPERTY, before);
    }
    assertFalse(client(false).local());
  }

  private static void checkKv(KvClient kv, String tenant) throws Exception {
    byte[] a = random(1000, 1);
    byte[] b = random(1 << 20, 2);
    List<KvClient.KvResult> put = await(kv.put(tenant, List.of("a", "b"), List.of(ByteBuffer.wrap(a), ByteBuffer.wrap(b))));
    assertTrue(put.stream().allMatch(KvClient.KvResult::ok), put.toString());
    ByteBuffer outA = ByteBuffer.allocate(1000);
    ByteBuffer outB = ByteBuffer.allocate(1 << 20);
    List<KvClient.KvResult> got = await(kv.get(tenant, List.of("a", "b", "missing"),
        List.of(outA, outB, ByteBuffer.allocate(8))));
    assertEquals(List.of("OK", "OK", "NOT_FOUND"), got.stream().map(KvClient.KvResult::status).toList());
    assertArrayEquals(a, outA.array());
    assertArrayEquals(b, outB.array());
    KvClient.KvExists exists = await(kv.exists(tenant, List.of("a", "b", "missing")));
    assertEquals(List.of(true, true, false), exists.present());
    assertEquals(2, exists.prefix());
    assertEquals(List.of(true, false), await(kv.remove(tenant, List.of("a", "missing"))));
    assertEquals(List.of(false, true), await(kv.exists(tenant, List.of("a", "b"))).present());
  }

  @Test
  void shouldKeepServingWhenAClientIsKilledMidRequest() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        LocalChannelChild.class.getName(), host, String.valueOf(port), token).redirectErrorStream(true).start();
    Path file;
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String attached = out.readLine();
      assertTrue(attached != null && attached.startsWith("attached "), "the child says: " + attached);
      file = Path.of("/dev/shm", attached.substring("attached ".length()));
      assertTrue(Files.exists(file));
      assertEquals("running", out.readLine());
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (Files.exists(file) && System.nanoTime() < deadline) Thread.sleep(50);
    assertFalse(Files.exists(file), "the node detached the dead client's channel and removed its file");
    assertTrue(cluster.node(1).alive());
    TfsClient after = client(true);
    assertTrue(after.local());
    LocalChannel ch = after.localChannel().orElseThrow();
    assertEquals(0L, ch.join(ch.nop(), WAIT));
    byte[] bytes = random(4 << 20, 5);
    List<KvClient.KvResult> put = await(after.kv().put("child", List.of("k1"), List.of(ByteBuffer.wrap(bytes))));
    assertTrue(put.get(0).ok(), put.toString());
    ByteBuffer back = ByteBuffer.allocate(4 << 20);
    assertEquals("OK", await(after.kv().get("child", List.of("k1"), List.of(back))).get(0).status());
    assertTrue(Arrays.equals(bytes, back.array()));
  }
}
