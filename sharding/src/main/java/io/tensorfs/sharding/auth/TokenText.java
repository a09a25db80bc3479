package io.tensorfs.sharding.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A token as a client holds it: {@code tfs_<id>_<secret>}, where {@code id} is 12 lowercase hex characters
 * (public: listed and revoked by it) and {@code secret} is 32 random bytes in base64url without padding
 * (43 characters). Only {@link #secretHash()} (SHA-256 of the secret's text) is ever stored. Immutable.
 */
public record TokenText(String id, String secret) {
  static final String PREFIX = "tfs_";
  static final int ID_CHARS = 12;
  static final int SECRET_BYTES = 32;
  static final int SECRET_CHARS = 43;
  /** {@code tfs_} + id + {@code _} + secret. */
  public static final int LENGTH = PREFIX.length() + ID_CHARS + 1 + SECRET_CHARS;

  private static final HexFormat HEX = HexFormat.of();

  public TokenText {
    if (!validId(id)) throw new IllegalArgumentException("a token id is 12 lowercase hex characters");
    if (!validSecret(secret)) throw new IllegalArgumentException("a token secret is 43 base64url characters");
  }

  /** A fresh token: a random id and secret. */
  public static TokenText generate(SecureRandom random) {
    byte[] id = new byte[ID_CHARS / 2];
    random.nextBytes(id);
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    return new TokenText(HEX.formatHex(id), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
  }

  /** The token in {@code text}, or empty when it is not of the token format. */
  public static Optional<TokenText> parse(String text) {
    if (text == null || text.length() != LENGTH || !text.startsWith(PREFIX) || text.charAt(PREFIX.length() + ID_CHARS) != '_') {
      return Optional.empty();
    }
    String id = text.substring(PREFIX.length(), PREFIX.length() + ID_CHARS);
    String secret = text.substring(PREFIX.length() + ID_CHARS + 1);
    if (!validId(id) || !validSecret(secret)) return Optional.empty();
    return Optional.of(new TokenText(id, secret));
  }

  /** {@code tfs_<id>_<secret>}: what the client sends. */
  public String text() {
    return PREFIX + id + "_" + secret;
  }

  /** SHA-256 of the secret, as 64 lowercase hex characters: what the metadata store keeps. */
  public String secretHash() {
    return hash(secret);
  }

  /** True when this token's secret hashes to {@code storedHash}, compared in constant time. */
  public boolean matches(String storedHash) {
    return MessageDigest.isEqual(secretHash().getBytes(StandardCharsets.US_ASCII),
        storedHash.getBytes(StandardCharsets.US_ASCII));
  }

  static String hash(String secret) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Keeps the secret out of logs. */
  @Override
  public String toString() {
    return PREFIX + id + "_…";
  }

  static boolean validId(String id) {
    if (id == null || id.length() != ID_CHARS) return false;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }

  private static boolean validSecret(String secret) {
    if (secret == null || secret.length() != SECRET_CHARS) return false;
    for (int i = 0; i < secret.length(); i++) {
      char c = secret.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
