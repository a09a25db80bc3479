package io.tensorfs.gateway.s3;

import com.typesafe.config.Config;
import io.tensorfs.core.Policy;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.front.FrontSettings;
import io.tensorfs.gateway.s3.internal.RouteSettings;
import java.util.List;

/**
 * Settings of the S3 API, read once from {@code tensorfs.s3} and validated; its front door takes the node's
 * front-door settings ({@code tensorfs.gateway.front}) with this address.
 *
 * @param host          the address the S3 port listens on
 * @param port          the S3 port; 0 turns the S3 API off
 * @param region        the region buckets report
 * @param domains       virtual-host domains ({@code <bucket>.<domain>})
 * @param defaultPolicy the policy of objects written without {@code x-tfs-policy}
 * @param minPartBytes  the smallest part (but the last) of a multipart upload, in bytes
 */
public record S3Settings(String host, int port, String region, List<String> domains, Policy defaultPolicy,
    long minPartBytes) {
  public S3Settings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("tensorfs.s3.port: " + port);
    if (region == null || region.isBlank()) throw new IllegalArgumentException("tensorfs.s3.region must be set");
    if (minPartBytes < 0) throw new IllegalArgumentException("tensorfs.s3.min-part-size must be >= 0");
    domains = List.copyOf(domains);
  }

  public static S3Settings fromConfig(Config root) {
    Config c = root.getConfig("tensorfs.s3");
    return new S3Settings(c.getString("host"), c.getInt("port"), c.getString("region"), c.getStringList("domains"),
        Policy.parse(c.getString("default-policy")), c.getBytes("min-part-size"));
  }

  public boolean enabled() {
    return port != 0;
  }

  /** The routes' share, with the gateway's chunk size and object limit. */
  RouteSettings routes(GatewaySettings gateway) {
    return new RouteSettings(region, domains, defaultPolicy, gateway.chunkSizeBytes(), gateway.maxFileSizeBytes(),
        minPartBytes);
  }

  /** The S3 port's front door: the node's front-door settings on this address. */
  FrontSettings front(FrontSettings node) {
    return new FrontSettings(true, host, port, node.maxConnections(), node.maxHeadBytes(), node.socketSendBufferBytes(),
        node.idleTimeout());
  }
}
