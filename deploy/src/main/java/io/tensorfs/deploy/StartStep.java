package io.tensorfs.deploy;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One step on the way to ready (the schema, the cluster, the metadata, the stores). A {@code retried} step
 * waits on something outside the node and is attempted again after a failure; any other step's failure
 * fails the node.
 *
 * @param name what the step waits for, for logs
 * @param attempt one attempt; called on the lifecycle actor's thread, must not block
 */
record StartStep(String name, boolean retried, Supplier<? extends CompletionStage<?>> attempt) {
  static StartStep retried(String name, Supplier<? extends CompletionStage<?>> attempt) {
    return new StartStep(name, true, attempt);
  }

  static StartStep once(String name, Supplier<? extends CompletionStage<?>> attempt) {
    return new StartStep(name, false, attempt);
  }
}
