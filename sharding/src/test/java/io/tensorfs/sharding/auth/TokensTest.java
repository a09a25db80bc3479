package io.tensorfs.sharding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The node's token cache over an in-memory store, on a manual clock. */
class TokensTest {
  private final MemoryStore store = new MemoryStore();
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AuthSettings settings = new AuthSettings(true, Optional.empty(), Duration.ofSeconds(1),
      Duration.ofSeconds(2), 3, Duration.ofSeconds(5));
  /** Two nodes over one store. */
  private final Tokens node1 = new Tokens(store, settings, nanos::get);
  private final Tokens node2 = new Tokens(store, settings, nanos::get);

  @Test
  void shouldAuthenticateATokenCreatedOnAnotherNodeAtOnceAndThenFromTheCache() {
    IssuedToken t = join(node1.create("team", Role.READ_WRITE, "ci"));
    assertNull(node2.cached(t.text()));
    Caller c = join(node2.authenticate(t.text()));
    assertEquals(new Caller(t.record().id(), Role.READ_WRITE, "team"), c);
    assertEquals(1, store.gets.get(), "looked up once");
    assertSame(c, node2.cached(t.text()), "then cached");
    join(node2.authenticate(t.text()));
    assertEquals(1, store.gets.get());
  }

  @Test
  void shouldRefuseARevokedTokenOnEveryNodeAfterItsReload() {
    IssuedToken t = join(node1.create("team", Role.READ_ONLY, ""));
    join(node1.authenticate(t.text()));
    join(node2.authenticate(t.text()));
    join(node1.revoke(t.record().id()));
    assertNull(node1.cached(t.text()), "the revoking node forgets it at once");
    assertRefused(node1.authenticate(t.text()), ErrorCode.UNAUTHENTICATED, "revoked");
    assertTrue(node2.cached(t.text()) != null, "the other node until its reload");
    join(node2.reload());
    assertNull(node2.cached(t.text()));
    assertRefused(node2.authenticate(t.text()), ErrorCode.UNAUTHENTICATED, "revoked");
  }

  @Test
  void shouldRefuseWrongSecretsMalformedTokensAndNone() {
    IssuedToken t = join(node1.create("team", Role.READ_WRITE, ""));
    String wrong = "tfs_" + t.record().id() + "_" + TokenText.generate(new SecureRandom()).secret();
    assertRefused(node1.authenticate(wrong), ErrorCode.UNAUTHENTICATED, "not valid");
    assertNull(node1.cached(wrong));
    assertRefused(node1.authenticate("garbage"), ErrorCode.UNAUTHENTICATED, "malformed");
    assertRefused(node1.authenticate(null), ErrorCode.UNAUTHENTICATED, "token is needed");
    assertRefused(node1.authenticate(""), ErrorCode.UNAUTHENTICATED, "Bearer");
  }

  @Test
  void shouldNotLetUnknownIdsFloodTheStore() {
    String unknown = TokenText.generate(new SecureRandom()).text();
    assertRefused(node1.authenticate(unknown), ErrorCode.UNAUTHENTICATED, "not valid");
    assertRefused(node1.authenticate(unknown), ErrorCode.UNAUTHENTICATED, "not valid");
    assertEquals(1, store.gets.get(), "an unknown id is remembered");
    nanos.addAndGet(Duration.ofSeconds(3).toNanos());
    assertRefused(node1.authenticate(unknown), ErrorCode.UNAUTHENTICATED, "not valid");
    assertEquals(2, store.gets.get(), "and asked again after unknown-token-ttl");
    for (int i = 0; i < 10; i++) {
      assertRefused(node1.authenticate(TokenText.generate(new SecureRandom()).text()), ErrorCode.UNAUTHENTICATED, "");
    }
    assertEquals(4, store.gets.get(), "at most lookups-per-second (3) ids a second: 2 more in this second");
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    assertRefused(node1.authenticate(TokenText.generate(new SecureRandom()).text()), ErrorCode.UNAUTHENTICATED, "");
    assertEquals(5, store.gets.get(), "and more the next second");
  }

  @Test
  void shouldValidateWhatItCreates() {
    assertRefused(node1.create("team", Role.ADMIN, ""), ErrorCode.BAD_REQUEST, "no tenant");
    assertRefused(node1.create(null, Role.READ_ONLY, ""), ErrorCode.BAD_REQUEST, "needs a tenant");
    assertRefused(node1.create("a/b", Role.READ_ONLY, ""), ErrorCode.BAD_REQUEST, "path segment");
    assertRefused(node1.create("..", Role.READ_ONLY, ""), ErrorCode.BAD_REQUEST, "path segment");
    assertRefused(node1.create(".tensorfs", Role.READ_ONLY, ""), ErrorCode.BAD_REQUEST, "reserved");
    assertThrows(TfsException.class, () -> Role.parse("root"));
    assertRefused(node1.revoke("nope"), ErrorCode.NOT_FOUND, "no token");
    assertRefused(node1.revoke("0123456789ab"), ErrorCode.NOT_FOUND, "no token");
    IssuedToken admin = join(node1.create(null, Role.ADMIN, "ops"));
    assertTrue(join(node2.authenticate(admin.text())).admin());
    assertTrue(store.tokens.values().stream().noneMatch(r -> r.secretSha256().contains(admin.text().substring(17))));
  }

  @Test
  void shouldRegisterTheAdminTokenIdempotently() {
    TokenText admin = TokenText.generate(new SecureRandom());
    TokenRecord first = join(node1.registerAdmin(admin, "file"));
    TokenRecord again = join(node2.registerAdmin(admin, "file"));
    assertEquals(first, again);
    assertEquals(1, join(node1.list()).size());
    assertTrue(join(node1.authenticate(admin.text())).admin());
  }

  @Test
  void shouldActAsAdminForEveryRequestWhenOff() {
    Tokens off = Tokens.off();
    assertSame(Caller.UNCHECKED_ADMIN, off.cached(null));
    assertSame(Caller.UNCHECKED_ADMIN, join(off.authenticate("garbage")));
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  private static void assertRefused(CompletionStage<?> stage, ErrorCode code, String mentions) {
    CompletionException e = assertThrows(CompletionException.class, () -> stage.toCompletableFuture().join());
    assertEquals(code, TfsException.codeOf(e), e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().contains(mentions), e.getCause().getMessage());
  }

  /** The store as the TokenEntity answers, in a map. */
  private static final class MemoryStore implements TokenStore {
    final Map<String, TokenRecord> tokens = new LinkedHashMap<>();
    final AtomicInteger gets = new AtomicInteger();

    @Override
    public synchronized CompletionStage<List<TokenRecord>> all() {
      return CompletableFuture.completedFuture(new ArrayList<>(tokens.values()));
    }

    @Override
    public synchronized CompletionStage<TokenRecord> get(String id) {
      gets.incrementAndGet();
      TokenRecord r = tokens.get(id);
      return r == null ? CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no token " + id))
          : CompletableFuture.completedFuture(r);
    }

    @Override
    public synchronized CompletionStage<TokenRecord> create(TokenRecord token) {
      TokenRecord r = tokens.get(token.id());
      if (r != null && !r.secretSha256().equals(token.secretSha256())) {
        return CompletableFuture.failedFuture(new TfsException(ErrorCode.CONFLICT, "taken"));
      }
      if (r == null) tokens.put(token.id(), token);
      return CompletableFuture.completedFuture(tokens.get(token.id()));
    }

    @Override
    public synchronized CompletionStage<TokenRecord> revoke(String id, long atMillis) {
      TokenRecord r = tokens.get(id);
      if (r == null) return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no token with id " + id));
      tokens.put(id, r.asRevoked());
      return CompletableFuture.completedFuture(tokens.get(id));
    }
  }
}
