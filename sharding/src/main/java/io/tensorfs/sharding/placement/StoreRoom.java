package io.tensorfs.sharding.placement;

/**
 * One store of a node and the bytes it still offers, as placement sees it: read now for this node's
 * stores, as last advertised for another node's (a few seconds old at most). Immutable.
 *
 * @param storeId     the store's id, unique within its node
 * @param usableBytes bytes the store can still take (above its reserve); never negative
 */
public record StoreRoom(String storeId, long usableBytes) {
  public StoreRoom {
    if (storeId == null || storeId.isBlank()) throw new IllegalArgumentException("blank store id");
    if (usableBytes < 0) throw new IllegalArgumentException("negative usable bytes for store " + storeId);
  }

  /** Whether {@code bytes} more fit in this store. */
  public boolean fits(long bytes) {
    return usableBytes >= bytes;
  }
}
