package io.tensorfs.sharding.auth;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.function.Function;

/** The tokens in the {@link TokenEntity}, asked with a timeout (UNAVAILABLE past it). Thread-safe. */
public final class ShardedTokenStore implements TokenStore {
  private final EntityRef<TokenEntity.Command> entity;
  private final Duration timeout;

  /** Needs {@link AuthSetup#init} on this node. */
  public ShardedTokenStore(ActorSystem<?> system, Duration timeout) {
    this.entity = ClusterSharding.get(system).entityRefFor(TokenEntity.ENTITY_TYPE_KEY, TokenEntity.ID);
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<List<TokenRecord>> all() {
    return ask(TokenEntity.GetAll::new).thenApply(r -> ((TokenEntity.All) r).tokens());
  }

  @Override
  public CompletionStage<TokenRecord> get(String id) {
    return ask(replyTo -> new TokenEntity.Get(id, replyTo)).thenApply(r -> ((TokenEntity.Found) r).token());
  }

  @Override
  public CompletionStage<TokenRecord> create(TokenRecord token) {
    return ask(replyTo -> new TokenEntity.Create(token, replyTo)).thenApply(r -> ((TokenEntity.Found) r).token());
  }

  @Override
  public CompletionStage<TokenRecord> revoke(String id, long atMillis) {
    return ask(replyTo -> new TokenEntity.Revoke(id, atMillis, replyTo)).thenApply(r -> ((TokenEntity.Found) r).token());
  }

  /** The reply; a {@link TokenEntity.Refused} fails the stage with its code. */
  private CompletionStage<TokenEntity.Reply> ask(Function<ActorRef<TokenEntity.Reply>, TokenEntity.Command> message) {
    CompletableFuture<TokenEntity.Reply> result = new CompletableFuture<>();
    entity.ask(message, timeout).whenCompleteAsync((reply, failure) -> {
      if (failure != null) {
        Throwable cause = Failures.unwrap(failure);
        result.completeExceptionally(cause instanceof TimeoutException
            ? new TfsException(ErrorCode.UNAVAILABLE, "the tokens' metadata did not answer within " + timeout.toMillis() + " ms", cause)
            : new TfsException(ErrorCode.UNAVAILABLE, "the tokens' metadata failed: " + cause, cause));
      } else if (reply instanceof TokenEntity.Refused r) {
        result.completeExceptionally(new TfsException(r.code(), r.message()));
      } else {
        result.complete(reply);
      }
    }, Stages.ON_THE_SPOT);
    return result;
  }
}
