package io.tensorfs.gateway.http;

import io.tensorfs.sharding.auth.IssuedToken;
import io.tensorfs.sharding.auth.TokenRecord;
import java.time.Instant;
import java.util.List;

/** The JSON bodies of {@code /v1/admin/tokens}. Tokens' secrets appear only in {@link Issued}, once. */
final class TokenJson {
  private TokenJson() {}

  record Token(String id, String tenant, String role, String description, String created, boolean revoked) {
    static Token of(TokenRecord r) {
      return new Token(r.id(), r.tenant(), r.role().wire(), r.description(), Instant.ofEpochMilli(r.createdMillis()).toString(),
          r.revoked());
    }
  }

  record Listing(List<Token> tokens) {
    static Listing of(List<TokenRecord> all) {
      return new Listing(all.stream().map(Token::of).toList());
    }
  }

  /** @param accessKey the token's S3 key pair (README: "S3 API"), only when asked for ({@code "s3": true}) */
  record Issued(String id, String token, String tenant, String role, String description, String created,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      String accessKey,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      String secretKey) {
    static Issued of(IssuedToken t) {
      return of(t, null, null);
    }

    static Issued of(IssuedToken t, String accessKey, String secretKey) {
      TokenRecord r = t.record();
      return new Issued(r.id(), t.text(), r.tenant(), r.role().wire(), r.description(),
          Instant.ofEpochMilli(r.createdMillis()).toString(), accessKey, secretKey);
    }
  }
}
