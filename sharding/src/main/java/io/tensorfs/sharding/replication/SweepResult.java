package io.tensorfs.sharding.replication;

/**
 * What one repair sweep of a node found and did, told to the node's drain worker after each sweep.
 * Immutable.
 *
 * @param created          replicas this node created on other nodes (and corrupt ones re-created here)
 * @param replicasHere     chunk replicas on this node's stores that their entities still record (not STALE or
 *                         MISSING) when the sweep had passed them: what a drain waits to see reach 0
 * @param stuckChunks      chunks this drained node holds that lack replicas elsewhere while no other node can
 *                         take a copy (every open node holds one already, or has no room)
 * @param stuckWanted      the most replicas one of those chunks wants (0 when none is stuck)
 * @param openNodes        the reachable nodes, this one included, that take new replicas, at the sweep's end
 * @param drainedThroughout whether an operator had drained this node from the sweep's start to its end, so that
 *                         {@code replicasHere} counts what is left of the drain
 */
public record SweepResult(int created, int replicasHere, int stuckChunks, int stuckWanted, int openNodes,
    boolean drainedThroughout) {

  /** Why the drain cannot finish, or empty when nothing is stuck. */
  public String stuckReason() {
    if (stuckChunks == 0) return "";
    return stuckChunks + (stuckChunks == 1 ? " chunk needs " : " chunks need ") + stuckWanted
        + (stuckWanted == 1 ? " node" : " nodes") + " other than this one, " + openNodes
        + (openNodes == 1 ? " remains" : " remain");
  }
}
