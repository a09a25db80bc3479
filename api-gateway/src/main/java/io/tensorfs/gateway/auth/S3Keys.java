package io.tensorfs.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * S3 access keys: every token has one key pair, derived and never stored. The access key is
 * {@code TFS} + the token's id in upper case; the secret key is the first 20 bytes of
 * HMAC-SHA256(cluster key, {@code "tensorfs-s3-secret:" + id}) as 40 hex characters, so every node that
 * holds the cluster's secret computes it and nothing secret is kept in the metadata store. Revoking the
 * token revokes the key; the key acts with the token's role and tenant. Immutable; any thread.
 */
public final class S3Keys {
  /** What every access key starts with. */
  public static final String ACCESS_KEY_PREFIX = "TFS";
  private static final int TOKEN_ID_CHARS = 12;
  private static final int SECRET_BYTES = 20;
  private static final String CONTEXT = "tensorfs-s3-secret:";
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] clusterKey;

  /** @param clusterKey the cluster's HMAC key (the node-to-node secret) */
  public S3Keys(byte[] clusterKey) {
    if (clusterKey == null || clusterKey.length < 16) throw new IllegalArgumentException("a cluster key of >= 16 bytes");
    this.clusterKey = clusterKey.clone();
  }

  /** The access key of token {@code tokenId}. */
  public static String accessKey(String tokenId) {
    return ACCESS_KEY_PREFIX + tokenId.toUpperCase(Locale.ROOT);
  }

  /** The token id an access key names, or empty when it is not of this form. */
  public static Optional<String> tokenId(String accessKey) {
    if (accessKey == null || accessKey.length() != ACCESS_KEY_PREFIX.length() + TOKEN_ID_CHARS
        || !accessKey.startsWith(ACCESS_KEY_PREFIX)) {
      return Optional.empty();
    }
    String id = accessKey.substring(ACCESS_KEY_PREFIX.length()).toLowerCase(Locale.ROOT);
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return Optional.empty();
    }
    return Optional.of(id);
  }

  /** The secret key of token {@code tokenId}: 40 lowercase hex characters. */
  public String secretKey(String tokenId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(clusterKey, "HmacSHA256"));
      byte[] full = mac.doFinal((CONTEXT + tokenId).getBytes(StandardCharsets.US_ASCII));
      return HEX.formatHex(Arrays.copyOf(full, SECRET_BYTES));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM has HmacSHA256", e);
    }
  }

  /** Keeps the key out of logs. */
  @Override
  public String toString() {
    return "S3Keys[…]";
  }
}
