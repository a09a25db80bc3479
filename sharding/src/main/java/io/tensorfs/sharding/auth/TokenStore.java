package io.tensorfs.sharding.auth;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where the token records live: {@link ShardedTokenStore} (the {@link TokenEntity}, journal in the metadata
 * store) in the product; an in-memory map in unit tests. Failures are TfsExceptions (NOT_FOUND, CONFLICT,
 * UNAVAILABLE). Thread-safe.
 */
public interface TokenStore {
  /** Every token, revoked ones included. */
  CompletionStage<List<TokenRecord>> all();

  /** One token; NOT_FOUND when unknown. */
  CompletionStage<TokenRecord> get(String id);

  /** Adds a token (or finds the same one already there); CONFLICT when its id holds another. */
  CompletionStage<TokenRecord> create(TokenRecord token);

  /** Marks a token revoked; NOT_FOUND when unknown. */
  CompletionStage<TokenRecord> revoke(String id, long atMillis);
}
