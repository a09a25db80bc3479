package io.tensorfs.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tensorfs.gateway.grpc.v1.BeginCheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointManifest;
import io.tensorfs.gateway.grpc.v1.CheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointState;
import io.tensorfs.gateway.grpc.v1.CheckpointsGrpc;
import io.tensorfs.gateway.grpc.v1.ItemRef;
import io.tensorfs.gateway.grpc.v1.ItemState;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsRequest;
import io.tensorfs.gateway.grpc.v1.RestoreMessage;
import io.tensorfs.gateway.grpc.v1.RestoreRequest;
import io.tensorfs.gateway.grpc.v1.SaveMessage;
import io.tensorfs.gateway.grpc.v1.SaveReply;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Checkpoints gRPC service over a one-node tensorfs in this JVM, driven by a plain gRPC client. */
class CheckpointsServiceTest {
  private static final int PART = 256 * 1024;
  private static final Metadata.Key<String> CODE = Metadata.Key.of("tfs-error", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir
  static Path storeDir;

  private static GrpcTestNode node;
  private static ManagedChannel channel;
  private static CheckpointsGrpc.CheckpointsBlockingStub blocking;
  private static CheckpointsGrpc.CheckpointsStub async;

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir, new FakeGpus(), Hints.unsupported(), """
        tensorfs.checkpoints.part-size = 256 KiB
        """);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext()
        .maxInboundMessageSize(8 << 20).build();
    blocking = CheckpointsGrpc.newBlockingStub(channel);
    async = CheckpointsGrpc.newStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (node != null) node.close();
  }

  private static void begin(String name, int ranks, int keepLast) {
    blocking.begin(BeginCheckpointRequest.newBuilder().setName(name).setRanks(ranks).setKeepLast(keepLast).build());
  }

  private static CheckpointRequest req(String name) {
    return CheckpointRequest.newBuilder().setName(name).build();
  }

  /** One rank's items, in messages of {@code messageBytes}; {@code failAfter} bytes in all, then the client fails (-1: never). */
  private static CompletableFuture<SaveReply> save(String name, int rank, Map<String, byte[]> items, Map<String, Long> from,
      int messageBytes, long failAfter, boolean done) {
    CompletableFuture<SaveReply> reply = new CompletableFuture<>();
    StreamObserver<SaveMessage> out = async.save(new StreamObserver<>() {
      @Override
      public void onNext(SaveReply value) {
        reply.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        reply.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    out.onNext(SaveMessage.newBuilder().setName(name).setRank(rank).build());
    long sent = 0;
    for (var e : items.entrySet()) {
      byte[] bytes = e.getValue();
      int pos = (int) (long) from.getOrDefault(e.getKey(), 0L);
      boolean first = true;
      do {
        int n = Math.min(messageBytes, bytes.length - pos);
        if (failAfter >= 0 && sent + n > failAfter) {
          out.onError(Status.CANCELLED.withDescription("the client went away").asRuntimeException());
          return reply;
        }
        out.onNext(SaveMessage.newBuilder().setKey(e.getKey()).setOffset(pos).setSize(first ? bytes.length : 0)
            .setData(ByteString.copyFrom(bytes, pos, n)).build());
        first = false;
        pos += n;
        sent += n;
      } while (pos < bytes.length);
    }
    if (done) out.onNext(SaveMessage.newBuilder().setRankDone(true).build());
    out.onCompleted();
    return reply;
  }

  private static Map<String, byte[]> restore(String name) {
    Map<String, byte[]> out = new HashMap<>();
    Iterator<RestoreMessage> it = blocking.restore(RestoreRequest.newBuilder().setName(name).build());
    String key = null;
    ByteArrayOutputStream bytes = null;
    while (it.hasNext()) {
      RestoreMessage m = it.next();
      if (m.hasItem()) {
        if (key != null) out.put(key, bytes.toByteArray());
        key = m.getItem().getRank() + "/" + m.getItem().getKey();
        bytes = new ByteArrayOutputStream();
      }
      bytes.writeBytes(m.getData().toByteArray());
    }
    if (key != null) out.put(key, bytes.toByteArray());
    return out;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static StatusRuntimeException failure(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  private static String code(StatusRuntimeException e) {
    return e.getTrailers() == null ? null : e.getTrailers().get(CODE);
  }

  @Test
  void shouldRestoreEveryItemByteExactWhenThreeRanksSavedAndCommitted() throws Exception {
    String name = "/t/job3/step-000100";
    begin(name, 3, 0);
    Map<String, byte[]> expected = new HashMap<>();
    List<CompletableFuture<SaveReply>> saves = new ArrayList<>();
    for (int rank = 0; rank < 3; rank++) {
      Map<String, byte[]> items = new java.util.LinkedHashMap<>();
      items.put("model/shard.pt", random(PART * 3 + 17 * rank, rank));
      items.put("optim", random(1000 + rank, 10 + rank));
      items.put("empty", new byte[0]);
      for (var e : items.entrySet()) expected.put(rank + "/" + e.getKey(), e.getValue());
      saves.add(save(name, rank, items, Map.of(), 100_000, -1, true));
    }
    for (var s : saves) assertEquals(3, s.get(60, TimeUnit.SECONDS).getItemsCount());

    var info = blocking.commit(req(name));

    assertEquals(CheckpointState.COMMITTED, info.getState());
    assertEquals(9, info.getItems());
    Map<String, byte[]> restored = restore(name);
    assertEquals(expected.keySet(), restored.keySet());
    for (var e : expected.entrySet()) assertArrayEquals(e.getValue(), restored.get(e.getKey()), e.getKey());
    assertEquals(name, blocking.latest(ListCheckpointsRequest.newBuilder().setJob("/t/job3").build()).getName());
  }

  @Test
  void shouldRefuseCommitNamingMissingRanks() throws Exception {
    String name = "/t/jobm/s1";
    begin(name, 3, 0);
    save(name, 0, Map.of("a", random(10, 1)), Map.of(), 1000, -1, true).get(30, TimeUnit.SECONDS);
    save(name, 1, Map.of("a", random(10, 2)), Map.of(), 1000, -1, true).get(30, TimeUnit.SECONDS);

    var e = failure(() -> blocking.commit(req(name)));

    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals("CONFLICT", code(e));
    assertTrue(e.getStatus().getDescription().contains("missing ranks [2]"), e.getStatus().getDescription());
    var missing = failure(() -> blocking.latest(ListCheckpointsRequest.newBuilder().setJob("/t/jobm").build()));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode(), "nothing committed is visible");
  }

  @Test
  void shouldRefuseItemLargerThanDeclared() throws Exception {
    String name = "/t/jobl/s1";
    begin(name, 1, 0);
    CompletableFuture<SaveReply> reply = new CompletableFuture<>();
    StreamObserver<SaveMessage> out = async.save(observer(reply));
    out.onNext(SaveMessage.newBuilder().setName(name).setRank(0).setKey("k").setSize(10)
        .setData(ByteString.copyFrom(new byte[11])).build());
    out.onCompleted();

    var e = (StatusRuntimeException) assertThrows(Exception.class, () -> reply.get(30, TimeUnit.SECONDS)).getCause();

    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("larger than declared"), e.getStatus().getDescription());
  }

  @Test
  void shouldAnswerNotFoundForUnknownCheckpoint() {
    var e = failure(() -> blocking.describe(req("/t/nojob/nostep")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    var r = failure(() -> restore("/t/nojob/nostep"));
    assertEquals(Status.Code.NOT_FOUND, r.getStatus().getCode());
  }

  @Test
  void shouldResumeCutOffSaveFromAcknowledgedOffset() throws Exception {
    String name = "/t/jobr/s1";
    begin(name, 1, 0);
    byte[] big = random(PART * 4 + 99, 7);
    CompletableFuture<SaveReply> cut = new CompletableFuture<>();
    StreamObserver<SaveMessage> out = async.save(observer(cut));
    out.onNext(SaveMessage.newBuilder().setName(name).setRank(0).setKey("w").setSize(big.length)
        .setData(ByteString.copyFrom(big, 0, PART * 2 + PART / 2)).build());
    // The client goes away once the node has acknowledged two parts, half way through the third.
    awaitAcknowledged(name, PART * 2L);
    out.onError(Status.CANCELLED.withDescription("the client went away").asRuntimeException());
    assertThrows(Exception.class, () -> cut.get(30, TimeUnit.SECONDS));

    ItemState state = awaitAcknowledged(name, PART * 2L);
    assertEquals(big.length, state.getSize());
    var fromZero = save(name, 0, Map.of("w", big), Map.of(), 64 * 1024, -1, true);
    var refused = (StatusRuntimeException) assertThrows(Exception.class, () -> fromZero.get(30, TimeUnit.SECONDS)).getCause();
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("acknowledged up to offset " + PART * 2),
        refused.getStatus().getDescription());

    var resumed = save(name, 0, Map.of("w", big), Map.of("w", state.getAcknowledged()), 64 * 1024, -1, true)
        .get(30, TimeUnit.SECONDS);
    assertEquals(big.length, resumed.getItems(0).getAcknowledged());
    blocking.commit(req(name));
    assertArrayEquals(big, restore(name).get("0/w"));
  }

  @Test
  void shouldKeepNewestWhenKeepLastIsSet() throws Exception {
    for (int i = 1; i <= 3; i++) {
      String name = "/t/jobk/s" + i;
      begin(name, 1, 2);
      save(name, 0, Map.of("a", random(100, i)), Map.of(), 1000, -1, true).get(30, TimeUnit.SECONDS);
      blocking.commit(req(name));
    }
    var list = blocking.list(ListCheckpointsRequest.newBuilder().setJob("/t/jobk").build());
    assertEquals(List.of("s2", "s3"), list.getCheckpointsList().stream().map(c -> c.getStep()).toList());
    assertEquals(Status.Code.NOT_FOUND, failure(() -> blocking.describe(req("/t/jobk/s1"))).getStatus().getCode());
  }

  @Test
  void shouldSaveFromHostBuffersAndRestoreIntoThemAcrossParts() throws Exception {
    String name = "/t/jobh/s1";
    begin(name, 1, 0);
    byte[] item = random(PART * 2 + 5000, 77);
    try (TestSegment from = new TestSegment(item.length + 100); TestSegment into = new TestSegment(item.length)) {
      from.write(100, item);
      int half = PART + 1234;
      CompletableFuture<SaveReply> reply = new CompletableFuture<>();
      StreamObserver<SaveMessage> out = async.save(observer(reply));
      out.onNext(SaveMessage.newBuilder().setName(name).setRank(0).setKey("w").setSize(item.length)
          .addSges(io.tensorfs.client.Sges.host(from.name, 100, half)).build());
      out.onNext(SaveMessage.newBuilder().setKey("w").setOffset(half)
          .addSges(io.tensorfs.client.Sges.host(from.name, 100 + half, item.length - half)).setRankDone(true).build());
      out.onCompleted();
      assertEquals(item.length, reply.get(30, TimeUnit.SECONDS).getItems(0).getAcknowledged());
      blocking.commit(req(name));

      CompletableFuture<io.tensorfs.gateway.grpc.v1.Completion> done = new CompletableFuture<>();
      StreamObserver<io.tensorfs.gateway.grpc.v1.ItemRead> reads = async.restoreInto(new StreamObserver<>() {
        @Override
        public void onNext(io.tensorfs.gateway.grpc.v1.Completion value) {
          done.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}
      });
      int offset = PART - 10; // from inside the first part, through the second, into the third
      reads.onNext(io.tensorfs.gateway.grpc.v1.ItemRead.newBuilder().setId(9).setName(name)
          .setItem(ItemRef.newBuilder().setRank(0).setKey("w"))
          .setOffset(offset).addSges(io.tensorfs.client.Sges.host(into.name, 0, item.length - offset)).build());
      var completion = done.get(30, TimeUnit.SECONDS);
      reads.onCompleted();

      assertEquals(io.tensorfs.gateway.grpc.v1.Status.OK, completion.getStatus(), completion.getMessage());
      assertEquals(item.length - offset, completion.getValue());
      assertArrayEquals(java.util.Arrays.copyOfRange(item, offset, item.length), into.read(0, item.length - offset));
    }
  }

  private static ItemState awaitAcknowledged(String name, long at) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      CheckpointManifest m = blocking.describe(req(name));
      if (m.getItemsCount() == 1 && m.getItems(0).getAcknowledged() == at) return m.getItems(0);
      if (System.nanoTime() > deadline) throw new AssertionError("acknowledged stayed at " + m.getItemsList());
      TimeUnit.MILLISECONDS.sleep(20); // polls the node's state: no event to wait on from here
    }
  }

  private static StreamObserver<SaveReply> observer(CompletableFuture<SaveReply> reply) {
    return new StreamObserver<>() {
      @Override
      public void onNext(SaveReply value) {
        reply.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        reply.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
