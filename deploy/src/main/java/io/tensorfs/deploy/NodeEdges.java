package io.tensorfs.deploy;

import io.tensorfs.gateway.front.FrontServer;
import io.tensorfs.gateway.s3.S3Server;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The node's listeners: the HTTP server, the gRPC server, when enabled the front door before the HTTP
 * server, and the metrics endpoint. Unbinding closes the front door (it relays to the HTTP server) and
 * unbinds the servers; draining waits for the HTTP and gRPC requests in flight.
 */
final class NodeEdges implements Edges {
  private final CompletionStage<ServerBinding> http;
  private final CompletionStage<ServerBinding> grpc;
  private final CompletionStage<Optional<FrontServer>> front;
  /** Completes with null when metrics are off. */
  private final CompletionStage<ServerBinding> metrics;
  /** Empty when the S3 API is off. */
  private final CompletionStage<Optional<S3Server>> s3;

  NodeEdges(CompletionStage<ServerBinding> http, CompletionStage<ServerBinding> grpc,
      CompletionStage<Optional<FrontServer>> front, CompletionStage<ServerBinding> metrics,
      CompletionStage<Optional<S3Server>> s3) {
    this.http = http;
    this.grpc = grpc;
    this.front = front;
    this.metrics = metrics;
    this.s3 = s3;
  }

  @Override
  public CompletionStage<Done> bound() {
    return http.thenCombine(grpc, (h, g) -> h).thenCombine(front, (h, f) -> h).thenCombine(s3, (h, s) -> h)
        .thenCombine(metrics, (h, m) -> Done.done());
  }

  @Override
  public CompletionStage<Done> unbind() {
    CompletionStage<Done> frontClosed = front.thenApply(f -> {
      f.ifPresent(FrontServer::close);
      return Done.done();
    });
    CompletionStage<Done> s3Closed = s3.thenApply(server -> {
      server.ifPresent(S3Server::close);
      return Done.done();
    });
    CompletionStage<?> metricsUnbound = metrics.thenCompose(b -> b == null ? CompletableFuture.completedFuture(null) : b.unbind());
    return allQuietly(frontClosed, s3Closed, http.thenCompose(ServerBinding::unbind), grpc.thenCompose(ServerBinding::unbind),
        metricsUnbound);
  }

  @Override
  public CompletionStage<Done> drain(Duration deadline) {
    return allQuietly(http.thenCompose(b -> b.terminate(deadline)), grpc.thenCompose(b -> b.terminate(deadline)));
  }

  /** A listener that never bound has nothing to stop: failures are not the shutdown's business. */
  private static CompletionStage<Done> allQuietly(CompletionStage<?>... stages) {
    CompletableFuture<?>[] all = new CompletableFuture<?>[stages.length];
    for (int i = 0; i < stages.length; i++) all[i] = stages[i].toCompletableFuture().handle((x, e) -> null);
    return CompletableFuture.allOf(all).thenApply(x -> Done.done());
  }
}
