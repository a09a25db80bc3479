package io.tensorfs.sharding.auth;

/**
 * A token just created: its record and, this once only, its text ({@code tfs_<id>_<secret>}), which the
 * node keeps nowhere. Immutable.
 */
public record IssuedToken(TokenRecord record, String text) {
  @Override
  public String toString() {
    return "IssuedToken[" + record.id() + "]";
  }
}
