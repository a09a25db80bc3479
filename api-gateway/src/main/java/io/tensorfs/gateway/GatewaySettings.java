package io.tensorfs.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the gateway, read once from {@code tensorfs.gateway} and validated.
 *
 * @param chunkSizeBytes    the large page size new files are cut into (4–256 MiB)
 * @param maxFileSizeBytes  a PUT announcing more is refused with 413
 * @param readAheadSegments segments of a GET read from the store ahead of the socket
 * @param writeBatchBytes   upload bytes gathered while the store writes, handed over in one append
 */
public record GatewaySettings(
    String httpHost,
    int httpPort,
    int chunkSizeBytes,
    long maxFileSizeBytes,
    Duration requestTimeout,
    int readAheadSegments,
    int writeBatchBytes) {

  public static final int MIN_CHUNK_BYTES = 4 << 20;
  public static final int MAX_CHUNK_BYTES = 256 << 20;

  public GatewaySettings {
    if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("tensorfs.gateway.http.port: " + httpPort);
    if (chunkSizeBytes < MIN_CHUNK_BYTES || chunkSizeBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException("tensorfs.gateway.chunk-size must be 4–256 MiB, got " + chunkSizeBytes);
    }
    if (readAheadSegments < 1) throw new IllegalArgumentException("tensorfs.gateway.read-ahead-segments must be >= 1");
    if (writeBatchBytes < 1) throw new IllegalArgumentException("tensorfs.gateway.write-batch must be positive");
    if (maxFileSizeBytes <= 0) throw new IllegalArgumentException("tensorfs.gateway.max-file-size must be positive");
  }

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.gateway");
    return new GatewaySettings(
        c.getString("http.host"),
        c.getInt("http.port"),
        Math.toIntExact(c.getBytes("chunk-size")),
        c.getBytes("max-file-size"),
        c.getDuration("request-timeout"),
        c.getInt("read-ahead-segments"),
        Math.toIntExact(c.getBytes("write-batch")));
  }
}
