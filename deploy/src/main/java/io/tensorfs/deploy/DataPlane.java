package io.tensorfs.deploy;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The node's data plane as the guardian sees it: stores and their actors, the metadata, the chunk cache,
 * the peer directory and the transport, built together. Its owner is the data-plane actor.
 */
interface DataPlane {
  /** Writes every write-back chunk still only in memory to its disk; completes when all have settled. */
  CompletionStage<Done> flush();

  /** Stops the transport and the cache's timers; called once, as the data plane's actor stops. */
  void close();
}
