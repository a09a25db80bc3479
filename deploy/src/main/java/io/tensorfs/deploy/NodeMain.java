package io.tensorfs.deploy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@code main}: {@code --node-id node-1 --data DIR --http-port 8080 --cassandra host:port}.
 * See {@link NodeArgs} for every option. Exits non-zero when the node cannot start.
 */
public final class NodeMain {
  private static final Logger log = LoggerFactory.getLogger(NodeMain.class);

  private NodeMain() {}

  public static void main(String[] args) {
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
