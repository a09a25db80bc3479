package io.tensorfs.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tensorfs.gateway.grpc.v1.Chunk;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.ReadRequest;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gateway.grpc.v1.Submission;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import io.tensorfs.gateway.grpc.v1.WriteChunk;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against an in-process server that plays a node (a test fake: it keeps one file in memory). */
class TfsClientTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final FakeNode node = new FakeNode();
  private Server server;
  private ManagedChannel channel;
  private TfsClient client;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(node).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    client = TfsClient.over(channel);
  }

  @AfterEach
  void stop() throws Exception {
    client.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  // The client's tests see only the client and grpc-java, not core-actors' test fixtures.
  private static <T> T value(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void shouldSendThePathFirstThenTheBytesInPiecesWhenWritingAStream() throws Exception {
    byte[] bytes = new byte[(5 << 20) / 2 + 123];
    new Random(1).nextBytes(bytes);
    FileInfo info = value(client.write("/t/a.bin", "kvcache", bytes));

    assertEquals(bytes.length, info.getSize());
    assertEquals("/t/a.bin", node.written.get(0).getPath());
    assertEquals("kvcache", node.written.get(0).getPolicy());
    assertTrue(node.written.get(0).getData().isEmpty(), "the first message names the file only");
    List<Integer> sizes = node.written.subList(1, node.written.size()).stream().map(m -> m.getData().size()).toList();
    assertEquals(List.of(1 << 20, 1 << 20, bytes.length - (2 << 20)), sizes);
    assertArrayEquals(bytes, node.file);
  }

  @Test
  void shouldSendThePreconditionInTheFirstMessageOnlyWhenWritingConditionally() throws Exception {
    value(client.write("/t/a.bin", "", Preconditions.ifMatch(7), new byte[10]));

    assertEquals(List.of("7"), node.written.get(0).getPrecondition().getIfMatchList());
    assertTrue(node.written.get(0).getPrecondition().getIfNoneMatchList().isEmpty());
    assertFalse(node.written.get(1).hasPrecondition(), "later messages carry bytes only");
    assertEquals(List.of("*"), Preconditions.ifAbsent().getIfNoneMatchList());
    assertEquals(List.of("*"), Preconditions.ifExists().getIfMatchList());
    assertEquals(List.of("3"), Preconditions.ifNoneMatch(3).getIfNoneMatchList());
  }

  @Test
  void shouldDeliverEveryPieceInOrderWhenReading() throws Exception {
    node.file = new byte[3_000_000];
    new Random(2).nextBytes(node.file);
    assertArrayEquals(Arrays.copyOfRange(node.file, 100, 2_500_100), value(client.readBytes("/t/a.bin", 100, 2_500_000)));

    List<Integer> pieces = new ArrayList<>();
    assertEquals(3_000_000L, value(client.read("/t/a.bin", 0, 0, b -> pieces.add(b.remaining()))));
    assertEquals(List.of(1 << 20, 1 << 20, 3_000_000 - (2 << 20)), pieces);
  }

  @Test
  void shouldFailWithTheNodesCodeWhenTheNodeRefuses() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> value(client.stat("/t/missing")));
    TfsClientException failure = assertInstanceOf(TfsClientException.class, e.getCause());
    assertEquals(Status.NOT_FOUND, failure.code());
    assertEquals("/t/missing does not exist", failure.getMessage());
  }

  @Test
  void shouldCompleteEverySubmissionWhenManyAreQueuedAtOnce() throws Exception {
    BatchSession batch = client.openBatch();
    int n = 2000;
    for (int i = 0; i < n; i++) batch.preadv(i, "/t/a.bin", i, List.of(Sges.host("seg", 0, 10)), 0);
    List<Completion> done = value(batch.collect(n, WAIT));
    value(batch.close());

    Set<Long> ids = new HashSet<>();
    for (Completion c : done) ids.add(c.getId());
    assertEquals(n, ids.size(), "one completion per submission");
    assertEquals(0, batch.outstanding());
  }

  /** Answers as a node would: echoes submissions, keeps the last write, refuses a stat. */
  private static final class FakeNode extends TensorfsGrpc.TensorfsImplBase {
    final List<WriteChunk> written = new ArrayList<>();
    volatile byte[] file = new byte[0];

    @Override
    public void stat(StatRequest request, StreamObserver<FileInfo> reply) {
      Metadata trailers = new Metadata();
      trailers.put(ClientErrors.CODE, "NOT_FOUND");
      reply.onError(io.grpc.Status.NOT_FOUND.withDescription(request.getPath() + " does not exist").asRuntimeException(trailers));
    }

    @Override
    public void read(ReadRequest request, StreamObserver<Chunk> reply) {
      int from = (int) request.getOffset();
      int to = request.getLength() == 0 ? file.length : (int) Math.min(file.length, from + request.getLength());
      for (int at = from; at < to; at += 1 << 20) {
        reply.onNext(Chunk.newBuilder().setData(ByteString.copyFrom(file, at, Math.min(1 << 20, to - at))).build());
      }
      reply.onCompleted();
    }

    @Override
    public StreamObserver<WriteChunk> write(StreamObserver<FileInfo> reply) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      return new StreamObserver<>() {
        @Override
        public void onNext(WriteChunk m) {
          written.add(m);
          bytes.writeBytes(m.getData().toByteArray());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          file = bytes.toByteArray();
          reply.onNext(FileInfo.newBuilder().setPath(written.get(0).getPath()).setSize(file.length).build());
          reply.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<Submission> batch(StreamObserver<Completion> reply) {
      return new StreamObserver<>() {
        @Override
        public void onNext(Submission s) {
          reply.onNext(Completion.newBuilder().setId(s.getId()).setValue(10).setStatus(Status.OK).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          reply.onCompleted();
        }
      };
    }
  }
}
