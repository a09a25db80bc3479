package io.tensorfs.sharding.drain;

import io.tensorfs.core.CborSerializable;

/**
 * One node's drain as its entity records it (the admin API's drain object). Immutable.
 *
 * @param node         the node's id
 * @param state        where the drain stands
 * @param replicasLeft chunk replicas the node's stores still hold and their entities record, as the node last
 *                     counted them in a repair sweep (-1 before it ever reported)
 * @param sinceMillis  when the node entered {@code state}, epoch milliseconds (0: never drained)
 * @param stuck        why the drain cannot finish (e.g. "3 chunks need 3 nodes other than this one, 2 remain"),
 *                     empty when it is not stuck
 */
public record Drain(String node, DrainState state, int replicasLeft, long sinceMillis, String stuck)
    implements CborSerializable {
  public Drain {
    if (stuck == null) stuck = "";
  }
}
