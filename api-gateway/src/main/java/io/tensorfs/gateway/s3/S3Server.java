package io.tensorfs.gateway.s3;

import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.NodeStatus;
import io.tensorfs.gateway.auth.S3Keys;
import io.tensorfs.gateway.front.FrontServer;
import io.tensorfs.gateway.front.FrontSettings;
import io.tensorfs.gateway.s3.internal.RouteSettings;
import io.tensorfs.gateway.s3.internal.S3Api;
import io.tensorfs.gateway.s3.internal.S3DirectReads;
import io.tensorfs.sharding.auth.Tokens;
import io.tensorfs.sharding.operator.NodeOperator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The node's S3 API: a front door on the S3 port ({@code tensorfs.s3.port}) that answers GetObject and
 * HeadObject from cache pages ({@link S3DirectReads}) and relays every other request to the S3 handler
 * ({@link S3Api}) on a full HTTP server listening on a loopback port. Built on the caller's thread; the
 * servers' threads are their own (see {@link FrontServer}).
 */
public final class S3Server implements AutoCloseable {
  private final FrontServer front;
  private final ServerBinding full;

  private S3Server(FrontServer front, ServerBinding full) {
    this.front = front;
    this.full = full;
  }

  /** Starts the S3 API as {@code settings} say (its port must not be 0). */
  public static CompletionStage<S3Server> start(ActorSystem<?> system, NodeOperator files, NodeStatus node,
      Tokens tokens, S3Keys keys, S3Settings settings, GatewaySettings gateway, FrontSettings nodeFront) {
    RouteSettings routes = settings.routes(gateway);
    S3Api api = new S3Api(system, files, node, tokens, keys, routes);
    S3DirectReads reads = new S3DirectReads(files, node, api, routes);
    return Http.get(system).newServerAt("127.0.0.1", 0).bind(api::handle).thenApply(binding -> {
      try {
        return new S3Server(FrontServer.start("s3", settings.front(nodeFront), reads, binding.localAddress()), binding);
      } catch (IOException e) {
        binding.unbind();
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Where clients reach it (the real port when the settings asked for 0... which turns it off: always the port). */
  public InetSocketAddress localAddress() {
    return front.localAddress();
  }

  @Override
  public void close() {
    front.close();
    full.unbind();
  }
}
