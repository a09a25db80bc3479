package io.tensorfs.deploy;

import com.typesafe.config.Config;
import io.tensorfs.core.metrics.MetricsReporting;
import io.tensorfs.core.security.ClusterSecret;
import io.tensorfs.gateway.NodeStatus;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * One tensorfs node in a JVM: an actor system whose guardian ({@link NodeGuardian}) starts the node's
 * parts in order. Starting returns at once; the gateway listens shortly after (it answers 503 meanwhile),
 * and the node becomes ready once the cluster is up, the metadata store answers, and every store has
 * reconciled its disk with the metadata. Stopping, whether by {@link #stop()}, SIGTERM or a failed start,
 * runs Coordinated Shutdown: the edges unbind and drain, write-back data is flushed, the background
 * workers and the transport stop, then the actor system terminates.
 */
public final class Node implements NodeStatus {
  /** The actor system's name, the same on every node of a cluster (part of each node's address). */
  static final String SYSTEM_NAME = "tensorfs";

  private final AtomicBoolean ready = new AtomicBoolean();
  private final CompletableFuture<ServerBinding> binding = new CompletableFuture<>();
  private final ActorSystem<?> system;
  private final ClusterStatus status;

  private Node(Config given) {
    // Node-to-node authentication: remoting over mutual TLS, the chunk transport keyed by the same secret.
    ClusterSecret secret = ClusterTls.secret(given);
    Config withTls = ClusterTls.applyTo(given, secret);
    // The journal plugin and the driver read the metadata replication and consistency as their own keys.
    // A node that was a member before and is the first seed waits longer for the running cluster (Rejoin).
    Config config = Rejoin.adjust(MetadataSettings.fromConfig(withTls).applyTo(withTls));
    String nodeId = config.getString("tensorfs.node.id");
    NodeSettings settings = NodeSettings.fromConfig(config);
    // Before any part exists, so that every instrument a part creates reports.
    MetricsReporting.start(config);
    this.system = ActorSystem.create(NodeGuardian.create(settings,
        s -> new NodeParts(config, settings, s, new ClusterStatus(nodeId, ready::get, s), binding, secret),
        () -> ready.set(true)), SYSTEM_NAME, config);
    this.status = new ClusterStatus(nodeId, ready::get, system);
    system.getWhenTerminated().thenRun(() -> {
      binding.completeExceptionally(new IllegalStateException("node " + nodeId + " stopped before its gateway listened"));
      MetricsReporting.stop();
    });
  }

  public static Node start(Config config) {
    return new Node(config);
  }

  /** The HTTP server's binding (behind the front door when that is enabled), once it listens. */
  public CompletionStage<ServerBinding> binding() {
    return binding;
  }

  public ActorSystem<?> system() {
    return system;
  }

  @Override
  public String nodeId() {
    return status.nodeId();
  }

  @Override
  public boolean ready() {
    return ready.get();
  }

  @Override
  public List<String> members() {
    return status.members();
  }

  /** Stops the node through Coordinated Shutdown; completes when the actor system has terminated. */
  public CompletionStage<Void> stop() {
    return CoordinatedShutdown.get(system).run(CoordinatedShutdown.unknownReason(), Optional.empty())
        .thenCompose(done -> system.getWhenTerminated())
        .thenApply(terminated -> null);
  }
}
