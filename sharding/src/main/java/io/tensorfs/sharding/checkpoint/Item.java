package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.Crc32c;
import java.util.List;

/**
 * One item of a checkpoint (a rank's shard of a state dict, optimizer state, metadata): its declared
 * size and the parts sealed so far, in order. The parts' lengths add up to the acknowledged offset,
 * where a cut-off save resumes. Immutable.
 *
 * @param number the item's number within its checkpoint: names its part files (keys stay in metadata)
 */
public record Item(int rank, String key, int number, long sizeBytes, List<Part> parts) implements CborSerializable {
  public Item {
    parts = List.copyOf(parts);
  }

  /** Bytes durable with the checkpoint's policy: the parts' lengths added up. */
  public long acknowledged() {
    long n = 0;
    for (Part p : parts) n += p.lengthBytes();
    return n;
  }

  public boolean complete() {
    return acknowledged() == sizeBytes;
  }

  /** CRC32C of the bytes acknowledged (the whole item's once complete). */
  public int crc32c() {
    int crc = 0;
    for (Part p : parts) crc = Crc32c.combine(crc, p.crc32c(), p.lengthBytes());
    return crc;
  }

  public boolean is(int rank, String key) {
    return this.rank == rank && this.key.equals(key);
  }

  Item withPart(Part part) {
    List<Part> more = new java.util.ArrayList<>(parts);
    more.add(part);
    return new Item(rank, key, number, sizeBytes, more);
  }

  /** The text that names the item in messages: {@code rank 3 'model.pt'}. */
  public String describe() {
    return "rank " + rank + " '" + key + "'";
  }
}
