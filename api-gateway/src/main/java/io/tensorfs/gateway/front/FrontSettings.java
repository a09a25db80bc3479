package io.tensorfs.gateway.front;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the front door, read once from {@code tensorfs.gateway.front} and validated. The front door
 * listens on the node's public HTTP address, {@code tensorfs.gateway.http.host/port}; the full server then
 * listens on a loopback port of its own.
 *
 * @param enabled               whether the node puts the front door before its full HTTP server
 * @param host                  the address the front door listens on
 * @param port                  the port it listens on (0: any free port)
 * @param maxConnections        connections served at once; one more is answered 503 and closed
 * @param maxHeadBytes          a request head longer than this goes to the full server
 * @param socketSendBufferBytes SO_SNDBUF of accepted sockets; 0 keeps the OS default
 * @param idleTimeout           a connection waiting this long for the client (its next request, or room to
 *                              write), or for a piece of a direct response, is closed
 */
public record FrontSettings(
    boolean enabled,
    String host,
    int port,
    int maxConnections,
    int maxHeadBytes,
    int socketSendBufferBytes,
    Duration idleTimeout) {

  /** The shortest head limit: a request line and a Host header must fit. */
  public static final int MIN_HEAD_BYTES = 1024;

  public FrontSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("tensorfs.gateway.http.port: " + port);
    if (maxConnections < 1) throw new IllegalArgumentException("tensorfs.gateway.front.max-connections must be >= 1");
    if (maxHeadBytes < MIN_HEAD_BYTES) {
      throw new IllegalArgumentException("tensorfs.gateway.front.max-head-bytes must be >= " + MIN_HEAD_BYTES);
    }
    if (socketSendBufferBytes < 0) {
      throw new IllegalArgumentException("tensorfs.gateway.front.socket-send-buffer must be >= 0");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("tensorfs.gateway.front.idle-timeout must be positive");
    }
  }

  public static FrontSettings fromConfig(Config root) {
    Config http = root.getConfig("tensorfs.gateway.http");
    Config c = root.getConfig("tensorfs.gateway.front");
    return new FrontSettings(
        c.getBoolean("enabled"),
        http.getString("host"),
        http.getInt("port"),
        c.getInt("max-connections"),
        Math.toIntExact(c.getBytes("max-head-bytes")),
        Math.toIntExact(c.getBytes("socket-send-buffer")),
        c.getDuration("idle-timeout"));
  }
}
