package io.tensorfs.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the gateway, read once from {@code tensorfs.gateway} and validated. How reads and writes
 * are batched is the operator's ({@code tensorfs.operator}).
 *
 * @param chunkSizeBytes    the large page size new files are cut into (4–256 MiB)
 * @param maxFileSizeBytes  a PUT announcing more is refused with 413
 */
public record GatewaySettings(
    String httpHost,
    int httpPort,
    int chunkSizeBytes,
    long maxFileSizeBytes,
    Duration requestTimeout) {

  public static final int MIN_CHUNK_BYTES = 4 << 20;
  public static final int MAX_CHUNK_BYTES = 256 << 20;

  public GatewaySettings {
    if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("tensorfs.gateway.http.port: " + httpPort);
    if (chunkSizeBytes < MIN_CHUNK_BYTES || chunkSizeBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("tensorfs.gateway.chunk-size must be 4–256 MiB, got " + chunkSizeBytes);
    }
    if (maxFileSizeBytes <= 0) throw new IllegalArgumentException("tensorfs.gateway.max-file-size must be positive");
  }

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.gateway");
    return new GatewaySettings(
        c.getString("http.host"),
        c.getInt("http.port"),
        Math.toIntExact(c.getBytes("chunk-size")),
        c.getBytes("max-file-size"),
        c.getDuration("request-timeout"));
  }
}
