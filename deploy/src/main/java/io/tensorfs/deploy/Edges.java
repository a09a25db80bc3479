package io.tensorfs.deploy;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** The node's edges as the guardian sees them: the listeners (HTTP, gRPC, front door) users reach it on. */
interface Edges {
  /** Completes when every edge listens; fails with the first that cannot. */
  CompletionStage<Done> bound();

  /** Stops accepting connections; requests in flight go on. Never fails. */
  CompletionStage<Done> unbind();

  /** Waits for requests in flight, at most {@code deadline}, then closes their connections. Never fails. */
  CompletionStage<Done> drain(Duration deadline);
}
