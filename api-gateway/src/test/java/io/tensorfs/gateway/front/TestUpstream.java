package io.tensorfs.gateway.front;

import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

/**
 * The full server in these tests: Pekko HTTP on 127.0.0.1, port chosen by the OS. PUT stores the body
 * under the path; GET/HEAD answer a stored body, or 404 JSON like the real API. Every answer carries
 * {@code X-Answered-By: upstream}, so a test can tell a relayed answer from a direct one.
 */
final class TestUpstream implements AutoCloseable {
  static final String ANSWERED_BY = "x-answered-by";
  /** GET under this prefix answers with a chunked body: the rest of the path, three times. */
  static final String CHUNKED_PREFIX = "/v1/chunked/";

  final Map<String, byte[]> stored = new ConcurrentHashMap<>();
  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  TestUpstream() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "front-upstream", ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.http.server.parsing.max-content-length = 64m
        pekko.http.server.parsing.max-header-value-length = 128k
        """).withFallback(ConfigFactory.load()));
    Materializer mat = Materializer.matFromSystem(system);
    Function<HttpRequest, CompletionStage<HttpResponse>> handler = request -> handle(request, mat);
    binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bind(handler)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  InetSocketAddress address() {
    return binding.localAddress();
  }

  static String notFoundJson(String path) {
    return "{\"error\":\"NOT_FOUND\",\"message\":\"no file at " + path + "\"}";
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request, Materializer mat) {
    String path = request.getUri().path();
    if (request.method() == HttpMethods.PUT) {
      return request.entity().getDataBytes().runFold(ByteString.emptyByteString(), ByteString::concat, mat)
          .thenApply(body -> {
            stored.put(path, body.toArray());
            return answer(HttpResponse.create().withStatus(StatusCodes.CREATED).withEntity(
                ContentTypes.APPLICATION_JSON, "{\"stored\":" + body.size() + "}"));
          });
    }
    request.discardEntityBytes(mat);
    if (path.startsWith(CHUNKED_PREFIX)) {
      // An answer framed by chunks, not by one length: the body is the path's last segment, three times.
      ByteString part = ByteString.fromString(path.substring(CHUNKED_PREFIX.length()));
      return CompletableFuture.completedFuture(answer(HttpResponse.create().withEntity(HttpEntities.createChunked(
          ContentTypes.APPLICATION_OCTET_STREAM, org.apache.pekko.stream.javadsl.Source.from(List.of(part, part, part))))));
    }
    byte[] bytes = stored.get(path);
    HttpResponse response = bytes == null
        ? HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
            .withEntity(ContentTypes.APPLICATION_JSON, notFoundJson(path))
        : HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, bytes));
    return CompletableFuture.completedFuture(answer(response));
  }

  private static HttpResponse answer(HttpResponse response) {
    return response.addHeader(RawHeader.create("X-Answered-By", "upstream"));
  }

  @Override
  public void close() throws Exception {
    binding.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
