package io.tensorfs.deploy;

import java.util.concurrent.ForkJoinPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@code main}: {@code --node-id node-1 --data DIR --http-port 8080 --cassandra host:port}.
 * See {@link NodeArgs} for every option. Exits non-zero when the node cannot start.
 */
public final class NodeMain {
  private static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  // Callbacks on the futures Pekko's Java API returns (Scala futures converted) always run as *Async
  // callbacks: on the common pool, or, when that pool has a single thread (machines of two cores or fewer),
  // on a new thread for every callback, which cost a small write a tenth of its CPU there. Set before
  // anything starts the pool.
  static {
    if (System.getProperty(COMMON_PARALLELISM) == null) {
      System.setProperty(COMMON_PARALLELISM,
          Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  private static final Logger log = LoggerFactory.getLogger(NodeMain.class);

  private NodeMain() {}

  public static void main(String[] args) {
    if (ForkJoinPool.getCommonPoolParallelism() < 2) {
      log.warn("the common pool has {} thread: every future callback starts a thread", ForkJoinPool.getCommonPoolParallelism());
    }
    Node node;
    try {
      node = Node.start(NodeArgs.parse(args).config());
    } catch (RuntimeException e) {
      log.error("tensorfs node failed to start", e);
      System.exit(2);
      return;
    }
    node.system().getWhenTerminated().whenComplete((d, e) -> System.exit(node.ready() ? 0 : 1));
  }
}
