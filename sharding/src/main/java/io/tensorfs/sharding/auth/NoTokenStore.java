package io.tensorfs.sharding.auth;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The store of {@link Tokens#off()}: there are no tokens to keep; every call fails UNAVAILABLE. Stateless. */
final class NoTokenStore implements TokenStore {
  @Override
  public CompletionStage<List<TokenRecord>> all() {
    return off();
  }

  @Override
  public CompletionStage<TokenRecord> get(String id) {
    return off();
  }

  @Override
  public CompletionStage<TokenRecord> create(TokenRecord token) {
    return off();
  }

  @Override
  public CompletionStage<TokenRecord> revoke(String id, long atMillis) {
    return off();
  }

  private static <T> CompletionStage<T> off() {
    return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE,
        "authentication is off on this node (tensorfs.auth.enabled = false): there are no tokens"));
  }
}
