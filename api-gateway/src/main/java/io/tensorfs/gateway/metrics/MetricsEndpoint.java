package io.tensorfs.gateway.metrics;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.MetricsReporting;
import io.tensorfs.core.metrics.MetricsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The node's Prometheus endpoint: {@code GET /metrics} on {@code tensorfs.metrics.host:port}, its own port
 * so that several nodes on one machine never collide (port 0 takes any free one; the port it got is written
 * to {@code <data dir>/metrics.port}, where {@code ./tfs status} reads it). Serves the text of
 * {@link MetricsReporting#scrape()}. Nothing listens when metrics are off.
 */
public final class MetricsEndpoint {
  /** Prometheus reads text/plain without a version as its text format 0.0.4. */
  private static final ContentType.WithCharset TEXT = MediaTypes.TEXT_PLAIN.toContentType(HttpCharsets.UTF_8);

  private MetricsEndpoint() {}

  /**
   * Listens, then writes the bound port to {@code dataDir/metrics.port}; completes with the binding, or with
   * null when metrics are off (a stale {@code metrics.port} is removed then).
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, MetricsSettings settings, Path dataDir) {
    Path portFile = dataDir.resolve("metrics.port");
    if (!settings.enabled() || !Metrics.enabled()) {
      try {
        Files.deleteIfExists(portFile);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return CompletableFuture.completedFuture(null);
    }
    org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler =
        request -> CompletableFuture.completedFuture(answer(system, request));
    return Http.get(system).newServerAt(settings.host(), settings.port())
        .bind(handler)
        .thenApply(binding -> {
          try {
            Files.createDirectories(dataDir);
            Files.writeString(portFile, binding.localAddress().getPort() + "\n");
          } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + portFile, e);
          }
          return binding;
        });
  }

  private static HttpResponse answer(ActorSystem<?> system, HttpRequest request) {
    request.discardEntityBytes(system);
    if (!request.getUri().path().equals("/metrics")) {
      return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
          .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "metrics are at /metrics\n");
    }
    if (request.method() != HttpMethods.GET && request.method() != HttpMethods.HEAD) {
      return HttpResponse.create().withStatus(StatusCodes.METHOD_NOT_ALLOWED)
          .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "GET /metrics\n");
    }
    return HttpResponse.create().withEntity(HttpEntities.create(TEXT, MetricsReporting.scrape()));
  }
}
