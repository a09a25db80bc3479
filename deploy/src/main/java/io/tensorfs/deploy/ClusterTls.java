package io.tensorfs.deploy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.security.ClusterSecret;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Cluster remoting over mutual TLS: Pekko Artery's {@code tls-tcp} transport with the cluster secret's key
 * store as both key store and trust store. Every member presents the one certificate of the cluster and
 * accepts only peers presenting it, so a process without the secret file can neither join nor send a
 * message to a member. Hostname verification is off: members share one certificate, whatever their
 * address. Stateless.
 */
final class ClusterTls {
  private static final String SSL = "pekko.remote.artery.ssl.config-ssl-engine.";

  private ClusterTls() {}

  /** Reads the cluster secret the configuration names, creating it when it is absent (the first node of a cluster). */
  static ClusterSecret secret(Config config) {
    return ClusterSecret.loadOrCreate(Path.of(config.getString(NodeArgs.CLUSTER_SECRET_FILE)));
  }

  /** {@code config} with remoting switched to mutual TLS keyed by {@code secret}'s file. */
  static Config applyTo(Config config, ClusterSecret secret) {
    String store = secret.file()
        .orElseThrow(() -> new IllegalArgumentException("remoting over TLS needs a cluster secret read from its file"))
        .toString();
    Map<String, Object> tls = new HashMap<>();
    tls.put("pekko.remote.artery.transport", "tls-tcp");
    tls.put("pekko.remote.artery.ssl.ssl-engine-provider", "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider");
    tls.put(SSL + "key-store", store);
    tls.put(SSL + "trust-store", store);
    tls.put(SSL + "key-store-password", ClusterSecret.STORE_PASSWORD);
    tls.put(SSL + "key-password", ClusterSecret.STORE_PASSWORD);
    tls.put(SSL + "trust-store-password", ClusterSecret.STORE_PASSWORD);
    tls.put(SSL + "protocol", "TLSv1.3");
    tls.put(SSL + "require-mutual-authentication", true);
    tls.put(SSL + "hostname-verification", false);
    return ConfigFactory.parseMap(tls).withFallback(config);
  }
}
