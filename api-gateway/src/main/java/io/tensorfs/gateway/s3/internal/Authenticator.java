package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.TfsException;
import io.tensorfs.gateway.auth.S3Keys;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.auth.Tokens;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who an S3 request acts as: the token its access key names (known and not revoked), once its SigV4
 * signature checks with that key's secret. Anonymous requests are refused (AccessDenied); with
 * authentication off every request acts as admin and signatures are not checked. Thread-safe.
 */
final class Authenticator {
  /** A request whose signature checked: its caller, its claim, and the key that signs its chunks. */
  record Authenticated(Caller caller, SigV4.Claim claim, byte[] signingKey) {}

  private final Tokens tokens;
  private final S3Keys keys;
  private final Clock clock;

  Authenticator(Tokens tokens, S3Keys keys, Clock clock) {
    this.tokens = tokens;
    this.keys = keys;
    this.clock = clock;
  }

  CompletionStage<Authenticated> authenticate(S3Request r) {
    try {
      Optional<SigV4.Claim> claim = SigV4.claim(r.headers(), r.query());
      if (!tokens.enabled()) return CompletableFuture.completedFuture(unchecked(r, claim));
      if (claim.isEmpty()) {
        throw S3Exception.accessDenied("Access Denied: anonymous requests are not served; sign with an access key "
            + "from ./tfs token create --s3");
      }
      String id = tokenId(claim.get());
      Caller cached = tokens.cachedById(id);
      if (cached != null) return CompletableFuture.completedFuture(verified(r, claim.get(), id, cached));
      return tokens.callerOfId(id).handle((caller, failure) -> {
        if (failure != null) {
          if (TfsException.codeOf(failure) == io.tensorfs.core.ErrorCode.UNAUTHENTICATED) throw unknownKey();
          throw new java.util.concurrent.CompletionException(failure);
        }
        return verified(r, claim.get(), id, caller);
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** {@link #authenticate} from what this node knows already, or null (then the full path answers). */
  Authenticated cached(S3Request r) {
    Optional<SigV4.Claim> claim = SigV4.claim(r.headers(), r.query());
    if (!tokens.enabled()) return unchecked(r, claim);
    if (claim.isEmpty()) return null;
    String id = S3Keys.tokenId(claim.get().accessKey()).orElse(null);
    Caller caller = id == null ? null : tokens.cachedById(id);
    return caller == null ? null : verified(r, claim.get(), id, caller);
  }

  private Authenticated unchecked(S3Request r, Optional<SigV4.Claim> claim) {
    return new Authenticated(Caller.UNCHECKED_ADMIN, claim.orElse(null), null);
  }

  private Authenticated verified(S3Request r, SigV4.Claim claim, String id, Caller caller) {
    String secret = keys.secretKey(id);
    SigV4.verify(claim, r.method(), r.rawPath(), r.rawQuery(), r.headerCandidates(), secret, clock.instant());
    return new Authenticated(caller, claim, SigV4.signingKey(secret, claim));
  }

  private static String tokenId(SigV4.Claim claim) {
    return S3Keys.tokenId(claim.accessKey()).orElseThrow(Authenticator::unknownKey);
  }

  private static S3Exception unknownKey() {
    return new S3Exception(403, "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records (or its token is revoked).");
  }
}
