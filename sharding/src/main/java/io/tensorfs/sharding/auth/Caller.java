package io.tensorfs.sharding.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * Who a request acts as: the id of the token it carried, the token's role and, for a tenant role, its
 * tenant (the first path segment it may act under). Immutable; parsed once per token text and cached.
 *
 * @param tokenId the token's public id (12 hex chars), or {@code "-"} when authentication is off
 * @param tenant  the tenant of a {@code read-write} or {@code read-only} token; null for {@code admin}
 */
public record Caller(String tokenId, Role role, String tenant) {
  /** Every request's caller when {@code tensorfs.auth.enabled = false}. */
  public static final Caller UNCHECKED_ADMIN = new Caller("-", Role.ADMIN, null);

  public Caller {
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(role, "role");
    if ((role == Role.ADMIN) != (tenant == null)) {
      throw new IllegalArgumentException("an admin has no tenant and every other role has one: " + role + " " + tenant);
    }
  }

  public Optional<String> tenantName() {
    return Optional.ofNullable(tenant);
  }

  public boolean admin() {
    return role == Role.ADMIN;
  }

  /** "token 0123456789ab (read-only on tenant 'team')", for messages. */
  public String describe() {
    return "token " + tokenId + " (" + role.wire() + (tenant == null ? "" : " on tenant '" + tenant + "'") + ")";
  }
}
