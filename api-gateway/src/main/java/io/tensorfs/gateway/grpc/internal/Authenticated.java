package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Tokens;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.grpc.javadsl.GrpcMarshalling;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.OAuth2BearerToken;
import org.apache.pekko.japi.function.Function;

/**
 * The gRPC endpoint's authentication, in front of every service: each call's metadata
 * {@code authorization: Bearer <token>} names its {@link Caller}, whose services (built once per caller and
 * kept) answer the call. A call without a valid token never reaches a service: it ends with gRPC status
 * UNAUTHENTICATED and the {@value Errors#CODE_KEY} trailer, as every other failure does. Thread-safe.
 */
public final class Authenticated implements Function<HttpRequest, CompletionStage<HttpResponse>> {
  private static final int MAX_CALLERS = 10_000;

  private final ActorSystem<?> system;
  private final Tokens tokens;
  private final java.util.function.Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> servicesOf;
  private final ConcurrentHashMap<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> services =
      new ConcurrentHashMap<>();

  public Authenticated(ActorSystem<?> system, Tokens tokens,
      java.util.function.Function<Caller, Function<HttpRequest, CompletionStage<HttpResponse>>> servicesOf) {
    this.system = system;
    this.tokens = tokens;
    this.servicesOf = servicesOf;
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) throws Exception {
    String token = bearerToken(request);
    Caller caller = tokens.cached(token);
    if (caller != null) return servicesFor(caller).apply(request);
    return tokens.authenticate(token).handle((c, failure) -> {
      try {
        return failure == null ? servicesFor(c).apply(request) : refuse(request, failure);
      } catch (Exception e) {
        return refuse(request, e);
      }
    }).thenCompose(response -> response);
  }

  private Function<HttpRequest, CompletionStage<HttpResponse>> servicesFor(Caller caller) {
    Function<HttpRequest, CompletionStage<HttpResponse>> found = services.get(caller);
    if (found != null) return found;
    if (services.size() >= MAX_CALLERS) services.clear();
    return services.computeIfAbsent(caller, servicesOf);
  }

  /** The call's answer when its token is refused: the failure's gRPC status and trailers, no message. */
  private CompletionStage<HttpResponse> refuse(HttpRequest request, Throwable failure) {
    request.discardEntityBytes(system);
    Optional<CompletionStage<HttpResponse>> answer = GrpcMarshalling.negotiated(request, (reader, writer) ->
        CompletableFuture.completedFuture(GrpcExceptionHandler.standard(failure, sys -> Errors::trailers, writer, system)));
    return answer.orElseGet(() -> CompletableFuture.completedFuture(
        HttpResponse.create().withStatus(StatusCodes.UNSUPPORTED_MEDIA_TYPE)));
  }

  private static String bearerToken(HttpRequest request) {
    Optional<Authorization> modeled = request.getHeader(Authorization.class);
    if (modeled.isPresent() && modeled.get().credentials() instanceof OAuth2BearerToken bearer) return bearer.token();
    return Tokens.bearerToken(request.getHeader("authorization").map(HttpHeader::value).orElse(null));
  }
}
