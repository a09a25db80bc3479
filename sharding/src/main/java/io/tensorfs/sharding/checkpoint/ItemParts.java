package io.tensorfs.sharding.checkpoint;

import io.tensorfs.sharding.FileVersion;
import java.util.List;

/**
 * A committed item with the file versions of its parts, in order: what reads of an item at an offset
 * into host or GPU buffers open, part by part.
 */
public record ItemParts(Item item, List<FileVersion> parts) {
  public ItemParts {
    parts = List.copyOf(parts);
  }
}
