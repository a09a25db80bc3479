package io.tensorfs.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tensorfs.gateway.grpc.v1.CheckpointInfo;
import io.tensorfs.gateway.grpc.v1.CheckpointRequest;
import io.tensorfs.gateway.grpc.v1.CheckpointsGrpc;
import io.tensorfs.gateway.grpc.v1.FileInfo;
import io.tensorfs.gateway.grpc.v1.StatRequest;
import io.tensorfs.gateway.grpc.v1.TensorfsGrpc;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client sends its token with every call of both services. */
class TfsClientTokenTest {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String TOKEN = "tfs_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor record = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        seen.add(String.valueOf(headers.get(AUTHORIZATION)));
        return next.startCall(call, headers);
      }
    };
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new TensorfsGrpc.TensorfsImplBase() {
          @Override
          public void stat(StatRequest request, StreamObserver<FileInfo> reply) {
            reply.onNext(FileInfo.newBuilder().setPath(request.getPath()).build());
            reply.onCompleted();
          }
        }, record))
        .addService(ServerInterceptors.intercept(new CheckpointsGrpc.CheckpointsImplBase() {
          @Override
          public void commit(CheckpointRequest request, StreamObserver<CheckpointInfo> reply) {
            reply.onNext(CheckpointInfo.newBuilder().setName(request.getName()).build());
            reply.onCompleted();
          }
        }, record))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  @Test
  void shouldSendTheGivenTokenAsBearerMetadataOnEveryCall() throws Exception {
    TfsClient client = TfsClient.over(channel, TOKEN);
    client.stat("/t/a").toCompletableFuture().get(10, TimeUnit.SECONDS);
    client.checkpoints().commit("/t/job/1").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of("Bearer " + TOKEN, "Bearer " + TOKEN), seen);
  }

  @Test
  void shouldRefuseATokenThatCannotBeAHeader() {
    assertThrows(IllegalArgumentException.class, () -> TfsClient.over(channel, "tfs a\nb"));
    assertTrue(BearerToken.of(TOKEN).toString().indexOf(TOKEN) < 0, "the token stays out of logs");
  }
}
