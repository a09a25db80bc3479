package io.tensorfs.gateway.grpc;

import com.typesafe.config.Config;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.sharding.operator.NodeOperator;
import io.tensorfs.gateway.grpc.internal.Authenticated;
import io.tensorfs.gateway.grpc.internal.BatchIo;
import io.tensorfs.gateway.grpc.internal.Errors;
import io.tensorfs.gateway.grpc.internal.SharedMemorySegments;
import io.tensorfs.gateway.grpc.internal.StagingBuffers;
import io.tensorfs.gateway.grpc.internal.TensorfsService;
import io.tensorfs.gateway.grpc.internal.CheckpointsService;
import io.tensorfs.gateway.grpc.v1.CheckpointsHandlerFactory;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.checkpoint.Checkpoints;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.stream.Materializer;
import io.tensorfs.gateway.grpc.v1.TensorfsHandlerFactory;
import io.tensorfs.gateway.metrics.GrpcMetrics;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * The node's gRPC endpoint (services {@code tensorfs.v1.Tensorfs} and {@code tensorfs.v1.Checkpoints}):
 * batch scatter/gather I/O into GPU and host memory, the file operations, and checkpoints. Plain-text HTTP/2; HTTP/2 is switched on for this
 * binding only, whatever {@code pekko.http.server.enable-http2} says.
 */
public final class GrpcGateway {
  private static final String ACCEPT_ENCODING = "grpc-accept-encoding";

  private GrpcGateway() {}

  /**
   * Binds the service on {@code host:port} (port 0: any free port; see the binding's address). Other
   * settings come from {@code tensorfs.gateway.grpc} and {@code tensorfs.gateway} in the system's config.
   *
   * @param gpus  copies to and from clients' GPU memory; GPU elements fail with UNAVAILABLE while it
   *              reports {@code available() == false}
   * @param hints the node's cache hints, or {@link Hints#unsupported()}
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus,
      Hints hints, String host, int port) {
    return bind(system, files, gpus, DirectGpuReads.none("the node was started without cuFile reads"), hints, host,
        port);
  }

  /**
   * {@link #bind(ActorSystem, NodeOperator, DeviceCopies, Hints, String, int)}, with preadv's FLAG_CUFILE
   * reading through {@code direct}: {@code new DirectGpuReads(gpuSinks.fileReads())}.
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus,
      DirectGpuReads direct, Hints hints, String host, int port) {
    return bind(system, files, new Checkpoints(system, files), gpus, direct, hints, host, port);
  }

  /**
   * {@link #bind(ActorSystem, NodeOperator, DeviceCopies, DirectGpuReads, Hints, String, int)} with the
   * node's checkpoint operator (service {@code tensorfs.v1.Checkpoints}, on the same port), without
   * authentication (every call acts as admin): for tests of the services alone.
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files,
      Checkpoints checkpoints, DeviceCopies gpus, DirectGpuReads direct, Hints hints, String host, int port) {
    return bind(system, files, checkpoints, gpus, direct, hints, Tokens.off(), host, port);
  }

  /**
   * The node's gRPC endpoint. Every call of every service carries a token as the metadata
   * {@code authorization: Bearer <token>}, checked here before the call reaches a service (UNAUTHENTICATED,
   * with the {@code tfs-error} trailer, without a valid one); the services then check each path of the
   * call's {@link Caller} with {@code Access} (PERMISSION_DENIED, trailer FORBIDDEN).
   *
   * @param tokens who each call's token is
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files,
      Checkpoints checkpoints, DeviceCopies gpus, DirectGpuReads direct, Hints hints, Tokens tokens, String host,
      int port) {
    return bind(system, files, checkpoints, gpus, direct, hints, tokens, LocalAttach.none(), host, port);
  }

  /**
   * {@link #bind(ActorSystem, NodeOperator, Checkpoints, DeviceCopies, DirectGpuReads, Hints, Tokens, String, int)},
   * with {@code AttachLocal} attaching clients' local channels through {@code local}.
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files,
      Checkpoints checkpoints, DeviceCopies gpus, DirectGpuReads direct, Hints hints, Tokens tokens, LocalAttach local,
      String host, int port) {
    Config config = system.settings().config();
    GrpcSettings settings = GrpcSettings.fromConfig(config);
    GatewaySettings gateway = GatewaySettings.fromConfig(config);
    Executor segmentExecutor = system.dispatchers().lookup(DispatcherSelector.fromConfig(GrpcSettings.SHARED_MEMORY_DISPATCHER));
    BatchIo batch = new BatchIo(system, files, gpus, direct,
        new SharedMemorySegments(settings.sharedMemoryDirectory(), settings.sharedMemoryPrefix(), settings.mappedSegments()), segmentExecutor,
        new StagingBuffers(files.pages(), settings.stagingBytes(), settings.inFlightPerStream()),
        gateway.chunkSizeBytes(), gateway.maxFileSizeBytes());
    Materializer materializer = Materializer.matFromSystem(system);
    // The services of one caller: built once per token the node has verified (a handful), so a call costs
    // only the token's lookup before it runs.
    java.util.function.Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> servicesOf = caller -> {
      TensorfsService service = new TensorfsService(system, files, batch, hints, settings.inFlightPerStream(),
          settings.readChunkBytes(), gateway.chunkSizeBytes(), gateway.maxFileSizeBytes(), caller, local);
      CheckpointsService checkpointService = new CheckpointsService(system, checkpoints, batch,
          settings.inFlightPerStream(), caller);
      @SuppressWarnings("unchecked")
      Function<HttpRequest, CompletionStage<HttpResponse>> services = ServiceHandler.concatOrNotFound(
          TensorfsHandlerFactory.partial(service, io.tensorfs.gateway.grpc.v1.Tensorfs.name, materializer, sys -> Errors::trailers, system),
          CheckpointsHandlerFactory.partial(checkpointService, io.tensorfs.gateway.grpc.v1.Checkpoints.name,
              materializer, sys -> Errors::trailers, system));
      return services;
    };
    Function<HttpRequest, CompletionStage<HttpResponse>> handler = new Authenticated(system, tokens, servicesOf);
    // Responses go uncompressed whatever the client accepts: gzip of tensor bytes costs far more CPU
    // than the network it would save.
    Function<HttpRequest, CompletionStage<HttpResponse>> uncompressed =
        request -> GrpcMetrics.timed(request, handler.apply(request.removeHeader(ACCEPT_ENCODING)));
    return Http.get(system).newServerAt(host, port)
        .adaptSettings(s -> s.withEnableHttp2(true))
        .bind(uncompressed);
  }

  /** Binds on the {@code tensorfs.gateway.grpc} host and port. */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus,
      Hints hints) {
    GrpcSettings settings = GrpcSettings.fromConfig(system.settings().config());
    return bind(system, files, gpus, hints, settings.host(), settings.port());
  }

  /** Binds on the {@code tensorfs.gateway.grpc} host and port, with FLAG_CUFILE reading through {@code direct}. */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus,
      DirectGpuReads direct, Hints hints) {
    GrpcSettings settings = GrpcSettings.fromConfig(system.settings().config());
    return bind(system, files, gpus, direct, hints, settings.host(), settings.port());
  }
}
