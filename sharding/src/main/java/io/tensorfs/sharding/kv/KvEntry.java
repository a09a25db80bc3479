package io.tensorfs.sharding.kv;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.FileId;

/**
 * One key's entry in the KV index: which node holds the block, the block's id (new for every put, so a
 * key put again never matches the old bytes), its length in bytes and its CRC32C. A holder answers only
 * for the block id asked, and a reader checks the length and CRC of what it got. Immutable.
 */
public record KvEntry(String holder, FileId blockId, long lengthBytes, int crc32c) implements CborSerializable {
  public KvEntry {
    if (holder == null || holder.isEmpty()) throw new IllegalArgumentException("no holder");
    if (blockId == null) throw new IllegalArgumentException("no block id");
    if (lengthBytes < 0) throw new IllegalArgumentException("negative length");
  }
}
