package io.tensorfs.transport.internal.rdma;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.transport.internal.Endpoints;
import java.net.URI;
import java.util.Map;

/**
 * Where a peer's RDMA wire listens for the TCP handshake that sets up a connection, and the largest frame
 * its receive ring takes: {@code rdma://host:port?frame-bytes=N}. Immutable.
 */
public record RdmaEndpoint(String host, int port, int frameBytes) {
  public static final String SCHEME = "rdma";

  public RdmaEndpoint {
    if (host == null || host.isEmpty()) throw new IllegalArgumentException("an RDMA endpoint needs a host");
    if (port <= 0 || port > 65535) throw new IllegalArgumentException("bad RDMA endpoint port " + port);
    if (frameBytes <= 0) throw new IllegalArgumentException("bad RDMA frame size " + frameBytes);
  }

  /** Parses an endpoint; throws TfsException BAD_REQUEST for anything else. */
  public static RdmaEndpoint parse(String endpoint) {
    URI uri = Endpoints.parse(endpoint);
    if (!SCHEME.equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "not an rdma endpoint: " + endpoint);
    }
    Map<String, String> query = Endpoints.query(uri);
    try {
      String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
      return new RdmaEndpoint(host, uri.getPort(), Integer.parseInt(query.getOrDefault("frame-bytes", "")));
    } catch (IllegalArgumentException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "bad rdma endpoint " + endpoint + ": " + e.getMessage());
    }
  }

  /** True when {@code endpoint} names an RDMA wire (whether or not it is well formed). */
  public static boolean isRdma(String endpoint) {
    return endpoint != null && endpoint.startsWith(SCHEME + "://");
  }

  @Override
  public String toString() {
    return SCHEME + "://" + Endpoints.hostForUri(host) + ":" + port + "?frame-bytes=" + frameBytes;
  }
}
