package io.tensorfs.transport;

import java.util.concurrent.Executor;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Lets a stream give back what it holds the moment it ends.
 *
 * <p>Pekko's Java API hands {@code watchTermination}'s future (and every other future it materializes) through
 * Scala's converter, whose {@code whenComplete}, {@code thenApply} and the like run their callback
 * asynchronously on the common pool; on a machine of two cores that pool has one thread, and each callback
 * then starts a thread of its own. A lease or page given back that way is given back some time after the
 * consumer saw the stream end. {@link #whenEnded} runs its action on the thread that ends the stream, before
 * the end reaches the stages after it. Stateless.
 */
public final class StreamEnds {
  /** Runs a callback on the thread that completes the future: for quick, non-blocking actions only. */
  private static final Executor ON_THE_SPOT = Runnable::run;

  private StreamEnds() {}

  /**
   * {@code source} unchanged, with {@code action} run once when it ends in any way (completed, failed, or
   * cancelled from downstream), on the stream's own thread and before the end is passed on. The action must
   * be quick and must not block.
   */
  public static <T, M> Source<T, M> whenEnded(Source<T, M> source, Runnable action) {
    return source.watchTermination((m, done) -> {
      done.whenCompleteAsync((d, e) -> action.run(), ON_THE_SPOT);
      return m;
    });
  }
}
