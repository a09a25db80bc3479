package io.tensorfs.transport;

import io.tensorfs.core.Stages;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Lets a stream give back what it holds the moment it ends.
 *
 * <p>A callback on {@code watchTermination}'s future runs on the common pool (see {@link Stages}), so a lease
 * or page given back that way is given back some time after the consumer saw the stream end. {@link #whenEnded} runs its action on the thread that ends the stream, before
 * the end reaches the stages after it. Stateless.
 */
public final class StreamEnds {
  private StreamEnds() {}

  /**
   * {@code source} unchanged, with {@code action} run once when it ends in any way (completed, failed, or
   * cancelled from downstream), on the stream's own thread and before the end is passed on. The action must
   * be quick and must not block.
   */
  public static <T, M> Source<T, M> whenEnded(Source<T, M> source, Runnable action) {
    return source.watchTermination((m, done) -> {
      done.whenCompleteAsync((d, e) -> action.run(), Stages.ON_THE_SPOT);
      return m;
    });
  }
}
