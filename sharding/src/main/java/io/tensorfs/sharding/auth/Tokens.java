package io.tensorfs.sharding.auth;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's tokens: who a request's token says it is, and the token admin (create, list, revoke).
 *
 * <p>Every token record is kept in memory and reloaded from the {@link TokenStore} every
 * {@code refresh-interval} (1 s), so a token revoked on any node is refused here within about a second. A
 * token verified once is remembered by its text with its {@link Caller}, so the hot path is one hash map
 * lookup ({@link #cached}); the reload drops the revoked ones. An id not yet in memory (a token created on
 * another node a moment ago) is looked up once in the store; an id the store does not know is refused
 * without asking again for {@code unknown-token-ttl}, and at most {@code lookups-per-second} ids are looked
 * up per second, so garbage tokens cannot flood the store. Secrets are compared by hash in constant time.
 *
 * <p>Thread-safe: called from any edge thread; the reload runs on the actor system's scheduler.
 */
public final class Tokens implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tokens.class);
  private static final int MAX_REMEMBERED = 10_000;
  private static final int MAX_DESCRIPTION_CHARS = 200;
  private static final String BEARER = "Bearer ";

  private final TokenStore store;
  private final AuthSettings settings;
  private final LongSupplier nanoClock;
  private final SecureRandom random = new SecureRandom();
  /** Every token by id, as last loaded (or looked up). */
  private final ConcurrentHashMap<String, TokenRecord> known = new ConcurrentHashMap<>();
  /** Verified token texts and who they are; revoked ones removed at each reload. */
  private final ConcurrentHashMap<String, Caller> callers = new ConcurrentHashMap<>();
  /** Ids the store did not know, until when (nanoClock) they are refused without asking. */
  private final ConcurrentHashMap<String, Long> unknownUntil = new ConcurrentHashMap<>();
  private final AtomicBoolean reloading = new AtomicBoolean();
  private long lookupWindowStartNanos;
  private int lookupsInWindow;
  private volatile boolean reloadFailing;
  private volatile Cancellable schedule;
  /** False until the store may be asked (the node's metadata schema exists): lookups fail UNAVAILABLE before. */
  private volatile boolean storeReady;

  /** Tokens over {@code store}, which may be asked at once. */
  public Tokens(TokenStore store, AuthSettings settings, LongSupplier nanoClock) {
    this(store, settings, nanoClock, true);
  }

  private Tokens(TokenStore store, AuthSettings settings, LongSupplier nanoClock, boolean storeReady) {
    this.store = store;
    this.settings = settings;
    this.nanoClock = nanoClock;
    this.lookupWindowStartNanos = nanoClock.getAsLong();
    this.storeReady = storeReady;
  }

  /**
   * The node's tokens over the {@link TokenEntity}. Nothing is asked of the metadata store (whose tables may
   * not exist yet) until {@link #reloadEvery}; until then only {@link #registerAdmin} and {@link #reload} may
   * be called, and a token is refused UNAVAILABLE.
   */
  public static Tokens of(ActorSystem<?> system, AuthSettings settings) {
    return new Tokens(new ShardedTokenStore(system, settings.askTimeout()), settings, System::nanoTime, false);
  }

  /** Reloads every token every {@code refresh-interval} from now on (the first load is {@link #reload}). */
  public void reloadEvery(ActorSystem<?> system) {
    storeReady = true;
    if (settings.enabled() && schedule == null) {
      schedule = system.scheduler().scheduleWithFixedDelay(settings.refreshInterval(), settings.refreshInterval(),
          this::reloadInBackground, system.executionContext());
    }
  }

  /**
   * Authentication off: every request acts as admin ({@code tensorfs.auth.enabled = false}, and edges built
   * in unit tests without a metadata store). Token admin calls fail UNAVAILABLE.
   */
  public static Tokens off() {
    AuthSettings off = new AuthSettings(false, java.util.Optional.empty(), java.time.Duration.ofSeconds(1),
        java.time.Duration.ofSeconds(2), 1, java.time.Duration.ofSeconds(5));
    return new Tokens(new NoTokenStore(), off, System::nanoTime);
  }

  public boolean enabled() {
    return settings.enabled();
  }

  /**
   * The caller of a token already verified on this node, or null (not yet verified, unknown, revoked, or
   * none). With authentication off, always the admin. The hot path: one map lookup, no allocation.
   *
   * @param token the bearer token's text, or null when the request carried none
   */
  public Caller cached(String token) {
    if (!settings.enabled()) return Caller.UNCHECKED_ADMIN;
    return token == null ? null : callers.get(token);
  }

  /**
   * Who {@code token} is: {@link #cached} when it is there, else verified against the records (looked up
   * in the store when its id is not known here). Fails UNAUTHENTICATED for no token, a malformed, unknown,
   * wrong or revoked one; UNAVAILABLE when the store cannot be asked.
   */
  public CompletionStage<Caller> authenticate(String token) {
    Caller caller = cached(token);
    if (caller != null) return CompletableFuture.completedFuture(caller);
    try {
      return verify(token);
    } catch (TfsException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The token of an {@code Authorization} header value: what follows {@code Bearer }; null for a null
   * header; the empty string for another scheme (refused as malformed).
   */
  public static String bearerToken(String authorization) {
    if (authorization == null) return null;
    String value = authorization.strip();
    if (value.length() < BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) return "";
    return value.substring(BEARER.length()).strip();
  }

  /**
   * The caller of token {@code id} for a request whose proof is not the token's text but a signature the
   * edge checked with a key derived from the id (S3 access keys): known, not revoked. Null when the id is
   * not known here yet or is revoked ({@link #callerOfId} then asks). The hot path: one map lookup.
   */
  public Caller cachedById(String id) {
    if (!settings.enabled()) return Caller.UNCHECKED_ADMIN;
    TokenRecord record = id == null ? null : known.get(id);
    return record == null || record.revoked() ? null : record.caller();
  }

  /**
   * {@link #cachedById}, asking the store for an id not known here (rate limited as {@link #authenticate});
   * fails UNAUTHENTICATED for an unknown or revoked id, UNAVAILABLE when the store cannot be asked.
   */
  public CompletionStage<Caller> callerOfId(String id) {
    Caller caller = cachedById(id);
    if (caller != null) return CompletableFuture.completedFuture(caller);
    if (!TokenText.validId(id)) return CompletableFuture.failedFuture(unknown());
    TokenRecord record = known.get(id);
    if (record != null) return CompletableFuture.failedFuture(unauthenticated("token " + id + " is revoked"));
    if (!storeReady) {
      return CompletableFuture.failedFuture(
          new TfsException(ErrorCode.UNAVAILABLE, "the node is starting: its tokens are not loaded yet"));
    }
    Long until = unknownUntil.get(id);
    if ((until != null && until - nanoClock.getAsLong() > 0) || !takeLookup()) {
      return CompletableFuture.failedFuture(unknown());
    }
    return store.get(id).handle((found, failure) -> {
      if (failure != null) {
        if (TfsException.codeOf(failure) == ErrorCode.NOT_FOUND) {
          if (unknownUntil.size() >= MAX_REMEMBERED) unknownUntil.clear();
          unknownUntil.put(id, nanoClock.getAsLong() + settings.unknownTokenTtl().toNanos());
          throw unknown();
        }
        throw new TfsException(ErrorCode.UNAVAILABLE, "the token cannot be checked now: "
            + Failures.unwrap(failure).getMessage(), failure);
      }
      TokenRecord now = known.putIfAbsent(found.id(), found);
      TokenRecord r = now != null ? now : found;
      if (r.revoked()) throw unauthenticated("token " + r.id() + " is revoked");
      return r.caller();
    });
  }

  private CompletionStage<Caller> verify(String token) {
    if (token == null || token.isEmpty()) {
      throw unauthenticated(token == null
          ? "a token is needed: send 'Authorization: Bearer <token>' (an admin creates one with ./tfs token create)"
          : "the Authorization header must be 'Bearer <token>'");
    }
    TokenText text = TokenText.parse(token)
        .orElseThrow(() -> unauthenticated("the token is malformed: tokens read tfs_<id>_<secret>"));
    TokenRecord record = known.get(text.id());
    if (record != null) return CompletableFuture.completedFuture(accept(token, text, record));
    if (!storeReady) throw new TfsException(ErrorCode.UNAVAILABLE, "the node is starting: its tokens are not loaded yet");
    Long until = unknownUntil.get(text.id());
    if (until != null && until - nanoClock.getAsLong() > 0) throw unknown();
    if (!takeLookup()) throw unknown();
    return store.get(text.id()).handle((found, failure) -> {
      if (failure != null) {
        if (TfsException.codeOf(failure) == ErrorCode.NOT_FOUND) {
          if (unknownUntil.size() >= MAX_REMEMBERED) unknownUntil.clear();
          unknownUntil.put(text.id(), nanoClock.getAsLong() + settings.unknownTokenTtl().toNanos());
          throw unknown();
        }
        throw new TfsException(ErrorCode.UNAVAILABLE, "the token cannot be checked now: "
            + Failures.unwrap(failure).getMessage(), failure);
      }
      TokenRecord now = known.putIfAbsent(found.id(), found);
      return accept(token, text, now != null ? now : found);
    });
  }

  private Caller accept(String token, TokenText text, TokenRecord record) {
    if (!text.matches(record.secretSha256())) throw unknown();
    if (record.revoked()) throw unauthenticated("token " + record.id() + " is revoked");
    Caller caller = record.caller();
    if (callers.size() >= MAX_REMEMBERED) callers.clear();
    callers.put(token, caller);
    return caller;
  }

  /** One more store lookup of an unknown id this second, or false when the second's share is used up. */
  private synchronized boolean takeLookup() {
    long now = nanoClock.getAsLong();
    if (now - lookupWindowStartNanos >= 1_000_000_000L) {
      lookupWindowStartNanos = now;
      lookupsInWindow = 0;
    }
    if (lookupsInWindow >= settings.lookupsPerSecond()) return false;
    lookupsInWindow++;
    return true;
  }

  /** Reloads every token from the store and forgets the verified texts of revoked ones. */
  public CompletionStage<Void> reload() {
    return store.all().thenAccept(all -> {
      Set<String> ids = new HashSet<>();
      for (TokenRecord r : all) {
        known.put(r.id(), r);
        ids.add(r.id());
      }
      known.keySet().retainAll(ids);
      forgetRevoked();
      long now = nanoClock.getAsLong();
      unknownUntil.values().removeIf(until -> until - now <= 0);
    });
  }

  private void reloadInBackground() {
    if (!reloading.compareAndSet(false, true)) return;
    reload().whenComplete((v, e) -> {
      reloading.set(false);
      if (e != null && !reloadFailing) log.warn("cannot reload the tokens (retrying each {} ms): {}",
          settings.refreshInterval().toMillis(), Failures.unwrap(e).getMessage());
      else if (e == null && reloadFailing) log.info("tokens reloaded again");
      reloadFailing = e != null;
    });
  }

  private void forgetRevoked() {
    callers.values().removeIf(c -> {
      TokenRecord r = known.get(c.tokenId());
      return r == null || r.revoked();
    });
  }

  // ---- token admin

  /**
   * Creates a token of {@code role} on {@code tenant} (null for admin). BAD_REQUEST for an admin with a
   * tenant, another role without one, or a tenant that is not a valid first path segment.
   */
  public CompletionStage<IssuedToken> create(String tenant, Role role, String description) {
    try {
      checkTenant(tenant, role);
    } catch (TfsException e) {
      return CompletableFuture.failedFuture(e);
    }
    String about = description == null ? "" : description;
    if (about.length() > MAX_DESCRIPTION_CHARS) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST,
          "a description has at most " + MAX_DESCRIPTION_CHARS + " characters"));
    }
    TokenText text = TokenText.generate(random);
    TokenRecord record = new TokenRecord(text.id(), tenant, role, about, System.currentTimeMillis(), false, text.secretHash());
    return store.create(record).thenApply(r -> {
      known.put(r.id(), r);
      return new IssuedToken(r, text.text());
    });
  }

  /**
   * Makes sure {@code token} is registered as an admin token (the node's admin-token file): creates it, or
   * finds it there. Completes with its record, which is revoked when an admin revoked it.
   */
  public CompletionStage<TokenRecord> registerAdmin(TokenText token, String description) {
    return store.create(new TokenRecord(token.id(), null, Role.ADMIN, description, System.currentTimeMillis(), false,
        token.secretHash()));
  }

  /** Every token, revoked ones included, in the order they were created. */
  public CompletionStage<List<TokenRecord>> list() {
    return store.all();
  }

  /** Revokes token {@code id}, refused here at once and on every node within a reload; NOT_FOUND when unknown. */
  public CompletionStage<TokenRecord> revoke(String id) {
    if (!TokenText.validId(id)) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.NOT_FOUND, "no token with id " + id));
    }
    return store.revoke(id, System.currentTimeMillis()).thenApply(r -> {
      known.put(r.id(), r);
      forgetRevoked();
      return r;
    });
  }

  static void checkTenant(String tenant, Role role) {
    if (role == Role.ADMIN && tenant != null) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "an admin token acts on every tenant: give it no tenant");
    }
    if (role != Role.ADMIN && tenant == null) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "a " + role.wire() + " token needs a tenant");
    }
    if (tenant == null) return;
    try {
      new TfsPath(List.of(tenant));
    } catch (TfsException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "tenant '" + tenant + "' is not a valid path segment: " + e.getMessage());
    }
    if (tenant.startsWith(".")) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "tenant '" + tenant + "' starts with '.': such names are reserved");
    }
  }

  private static TfsException unknown() {
    return unauthenticated("the token is not valid (unknown id or wrong secret)");
  }

  private static TfsException unauthenticated(String message) {
    return new TfsException(ErrorCode.UNAUTHENTICATED, "unauthenticated: " + message);
  }

  @Override
  public void close() {
    Cancellable s = schedule;
    if (s != null) s.cancel();
  }
}
