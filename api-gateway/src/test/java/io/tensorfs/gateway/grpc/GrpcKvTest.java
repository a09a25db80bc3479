package io.tensorfs.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.client.KvClient;
import io.tensorfs.client.KvClient.KvResult;
import io.tensorfs.client.Sges;
import io.tensorfs.client.TfsClient;
import io.tensorfs.client.TfsClientException;
import io.tensorfs.gateway.grpc.v1.KvGetReply;
import io.tensorfs.gateway.grpc.v1.KvGetRequest;
import io.tensorfs.gateway.grpc.v1.KvPutRequest;
import io.tensorfs.gateway.grpc.v1.KvReply;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC KV calls end to end over a one-node tensorfs in this JVM, through the Java client's kv(). */
class GrpcKvTest {
  private static final int MAX_BLOCK = 4 << 20;

  @TempDir
  static Path storeDir;

  private static final FakeGpus gpus = new FakeGpus();
  private static GrpcTestNode node;
  private static TfsClient client;
  private static KvClient kv;

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir, gpus, Hints.unsupported(), """
        tensorfs.kv.max-block = 4 MiB
        tensorfs.kv.memory = 24 MiB
        """);
    client = TfsClient.connect("127.0.0.1", node.port());
    kv = client.kv();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) await(client.close());
    if (node != null) node.close();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void shouldPutAndGetABatchInlineWithOneResultPerKeyAndMissesAsAnswers() throws Exception {
    List<String> keys = new ArrayList<>();
    List<ByteBuffer> values = new ArrayList<>();
    List<byte[]> bytes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      keys.add("model/layer" + i);
      bytes.add(random(i == 0 ? 0 : (256 << 10) + i * 1000, i));
      values.add(ByteBuffer.wrap(bytes.get(i)));
    }
    List<KvResult> put = await(kv.put("t", keys, values));
    assertEquals(8, put.size());
    for (int i = 0; i < 8; i++) {
      assertTrue(put.get(i).ok(), put.get(i).toString());
      assertEquals(bytes.get(i).length, put.get(i).length());
    }
    List<String> asked = new ArrayList<>(keys);
    asked.add(3, "model/never-put");
    List<ByteBuffer> outs = new ArrayList<>();
    for (int i = 0; i < asked.size(); i++) outs.add(ByteBuffer.allocate(1 << 20));
    List<KvResult> got = await(kv.get("t", asked, outs));
    assertEquals(9, got.size());
    assertEquals("NOT_FOUND", got.get(3).status(), "a miss is an answer for its key alone");
    for (int i = 0, k = 0; i < asked.size(); i++) {
      if (i == 3) continue;
      byte[] want = bytes.get(k++);
      assertTrue(got.get(i).ok(), got.get(i).toString());
      assertEquals(want.length, got.get(i).length());
      assertArrayEquals(want, Arrays.copyOf(outs.get(i).array(), want.length));
    }
    KvClient.KvExists e = await(kv.exists("t", List.of("model/layer0", "model/layer1", "model/never-put", "model/layer2")));
    assertEquals(List.of(true, true, false, true), e.present());
    assertEquals(2, e.prefix());
    assertEquals(List.of(true, false), await(kv.remove("t", List.of("model/layer1", "model/never-put"))));
    assertEquals("NOT_FOUND", await(kv.get("t", List.of("model/layer1"), List.of(ByteBuffer.allocate(10)))).get(0).status());
  }

  @Test
  void shouldAnswerTooLargeAndBadPathPerKeyAndKeepTheOthers() throws Exception {
    List<KvResult> put = await(kv.put("t", List.of("ok", "big", "a/../b"),
        List.of(ByteBuffer.wrap(random(100, 1)), ByteBuffer.wrap(new byte[MAX_BLOCK + 1]), ByteBuffer.wrap(new byte[1]))));
    assertTrue(put.get(0).ok());
    assertEquals("TOO_LARGE", put.get(1).status());
    assertEquals("BAD_PATH", put.get(2).status());
    List<KvResult> got = await(kv.get("t", List.of("ok", "a/../b"), List.of(ByteBuffer.allocate(50), ByteBuffer.allocate(1))));
    assertEquals("TOO_LARGE", got.get(0).status(), "a block longer than its buffer");
    assertEquals(100, got.get(0).length());
    assertEquals("BAD_PATH", got.get(1).status());
    TfsClientException bad = assertInstanceOf(TfsClientException.class, failure(kv.get("t/x", List.of("k"), List.of(ByteBuffer.allocate(1)))));
    assertEquals(Status.BAD_PATH, bad.code());
  }

  @Test
  void shouldTakeAndGiveBlocksThroughHostSegmentsAndGpuBuffers() throws Exception {
    try (TestSegment s = new TestSegment(8 << 20)) {
      byte[] a = random(1 << 20, 7);
      byte[] b = random(300_001, 8);
      s.write(0, a);
      byte[] handle = gpus.allocate(4 << 20);
      System.arraycopy(b, 0, gpus.memoryOf(handle), 4096, b.length);
      TensorfsGrpc.TensorfsBlockingStub stub = TensorfsGrpc.newBlockingStub(
          io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", node.port(), io.grpc.InsecureChannelCredentials.create()).build());
      KvReply put = stub.kvPut(KvPutRequest.newBuilder().setTenant("s").addKeys("host").addKeys("gpu")
          .addSges(Sges.host(s.name, 0, a.length)).addSges(Sges.gpu(handle, 0, 4096, b.length)).build());
      assertEquals(List.of(Status.OK, Status.OK), put.getResultsList().stream().map(r -> r.getStatus()).toList());

      KvGetReply got = stub.kvGet(KvGetRequest.newBuilder().setTenant("s").addKeys("gpu").addKeys("host").addKeys("none")
          .addSges(Sges.host(s.name, 2 << 20, 1 << 20)).addSges(Sges.gpu(handle, 0, 2 << 20, 1 << 20))
          .addSges(Sges.host(s.name, 4 << 20, 10)).build());
      assertEquals(List.of(Status.OK, Status.OK, Status.NOT_FOUND), got.getResultsList().stream().map(r -> r.getStatus()).toList());
      assertEquals(b.length, got.getResults(0).getLength());
      assertEquals(0, got.getValuesCount(), "bytes went to the SGEs, not inline");
      assertArrayEquals(b, s.read(2 << 20, b.length));
      assertArrayEquals(a, Arrays.copyOfRange(gpus.memoryOf(handle), 2 << 20, (2 << 20) + a.length));
      ((io.grpc.ManagedChannel) stub.getChannel()).shutdownNow();
    }
  }

  @Test
  void shouldRefuseAReadOnlyCallerAPutAndAnotherTenantAnything() throws Exception {
    var kvOf = io.tensorfs.gateway.grpc.internal.KvCallsProbe.of(node.files.kv(),
        new io.tensorfs.sharding.auth.Caller("tok", io.tensorfs.sharding.auth.Role.READ_ONLY, "acme"));
    assertEquals(io.tensorfs.core.ErrorCode.FORBIDDEN, kvOf.putCode("acme", "k"));
    assertEquals(io.tensorfs.core.ErrorCode.FORBIDDEN, kvOf.getCode("other", "k"));
    assertEquals(null, kvOf.getCode("acme", "k"), "a read-only token reads its own tenant");
  }

  private static Throwable failure(CompletionStage<?> stage) throws Exception {
    try {
      stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
