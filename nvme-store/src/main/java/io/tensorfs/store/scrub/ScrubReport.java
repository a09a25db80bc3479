package io.tensorfs.store.scrub;

import io.tensorfs.core.ChunkId;
import java.util.List;

/**
 * What one scrub pass over the node's stores found. Immutable.
 *
 * @param replicas replicas verified to their end
 * @param blocks   checksum blocks read and verified
 * @param bytes    bytes read and verified
 * @param corrupt  replicas found corrupt, as {@code store:chunk}
 * @param failed   replicas that could not be read for another reason (an I/O error), left for the next pass
 */
public record ScrubReport(long replicas, long blocks, long bytes, List<String> corrupt, int failed) {
  public ScrubReport {
    corrupt = List.copyOf(corrupt);
  }

  static String name(String storeId, ChunkId chunk) {
    return storeId + ":" + chunk;
  }
}
