package io.tensorfs.sharding.auth;

import io.tensorfs.core.CborSerializable;

/**
 * A token as the metadata store keeps it: never its secret, only the secret's SHA-256. Immutable.
 *
 * @param tenant        the tenant of a tenant role; null for {@code admin}
 * @param createdMillis when it was created, epoch milliseconds
 * @param secretSha256  SHA-256 of the secret, 64 lowercase hex characters
 */
public record TokenRecord(String id, String tenant, Role role, String description, long createdMillis,
    boolean revoked, String secretSha256) implements CborSerializable {

  /** The caller a request carrying this token acts as. */
  public Caller caller() {
    return new Caller(id, role, tenant);
  }

  public TokenRecord asRevoked() {
    return new TokenRecord(id, tenant, role, description, createdMillis, true, secretSha256);
  }
}
