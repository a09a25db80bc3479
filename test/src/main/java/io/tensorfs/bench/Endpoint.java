package io.tensorfs.bench;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import java.net.InetSocketAddress;

/**
 * Where a benchmark's HTTP requests go: a node's HTTP address and the token they carry (null: none, for a
 * node started with {@code -Dtensorfs.auth.enabled=false}). Immutable.
 */
record Endpoint(InetSocketAddress address, String token) {
  /** {@code node}, reached with its cluster's admin token; the node must have started (it writes the token). */
  static Endpoint of(NodeProcess node) {
    return new Endpoint(address(node), AdminToken.of(node));
  }

  /** {@code node}, reached with no token: a node whose auth is off. */
  static Endpoint withoutToken(NodeProcess node) {
    return new Endpoint(address(node), null);
  }

  /** The {@code Authorization} line of a request head, CRLF included; "" without a token. */
  String authorizationLine() {
    return token == null ? "" : "Authorization: " + AdminToken.bearer(token) + "\r\n";
  }

  private static InetSocketAddress address(NodeProcess node) {
    return new InetSocketAddress(node.baseUri().getHost(), node.baseUri().getPort());
  }
}
