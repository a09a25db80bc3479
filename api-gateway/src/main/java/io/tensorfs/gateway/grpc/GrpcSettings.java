package io.tensorfs.gateway.grpc;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Settings of the gRPC gateway, read once from {@code tensorfs.gateway.grpc} and validated.
 *
 * @param inFlightPerStream      submissions of one Batch stream that run at once
 * @param mappedSegments         shared-memory segments kept mapped (least recently used unmapped first)
 * @param stagingBytes           host buffer each GPU transfer stages its bytes through
 * @param readChunkBytes         most bytes in one message of the Read stream
 * @param sharedMemoryDirectory  where clients' POSIX shared-memory segments appear
 * @param sharedMemoryPrefix     every segment a request names must start with it (the node's namespace)
 */
public record GrpcSettings(
    String host,
    int port,
    int inFlightPerStream,
    int mappedSegments,
    int stagingBytes,
    int readChunkBytes,
    Path sharedMemoryDirectory,
    String sharedMemoryPrefix) {

  public static final String SECTION = "tensorfs.gateway.grpc";
  /** The dispatcher that opens and maps shared-memory segments (blocking system calls). */
  public static final String SHARED_MEMORY_DISPATCHER = SECTION + ".shared-memory-dispatcher";

  public GrpcSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException(SECTION + ".port: " + port);
    if (inFlightPerStream < 1) throw new IllegalArgumentException(SECTION + ".in-flight-per-stream must be >= 1");
    if (mappedSegments < 1) throw new IllegalArgumentException(SECTION + ".mapped-segments must be >= 1");
    if (stagingBytes < 4096) throw new IllegalArgumentException(SECTION + ".gpu-staging must be at least 4 KiB");
    if (sharedMemoryPrefix.isEmpty() || sharedMemoryPrefix.indexOf('/') >= 0 || sharedMemoryPrefix.contains("..")) {
      throw new IllegalArgumentException(SECTION + ".shared-memory-prefix must be a non-empty plain name: '" + sharedMemoryPrefix + "'");
    }
    if (readChunkBytes < 1 || readChunkBytes > 4 << 20) {
      throw new IllegalArgumentException(SECTION + ".read-chunk must be 1 byte to 4 MiB (gRPC's default message limit)");
    }
  }

  public static GrpcSettings fromConfig(Config root) {
    Config c = root.getConfig(SECTION);
    return new GrpcSettings(
        c.getString("host"),
        c.getInt("port"),
        c.getInt("in-flight-per-stream"),
        c.getInt("mapped-segments"),
        Math.toIntExact(c.getBytes("gpu-staging")),
        Math.toIntExact(c.getBytes("read-chunk")),
        Path.of(c.getString("shared-memory-directory")),
        c.getString("shared-memory-prefix"));
  }
}
