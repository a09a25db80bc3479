package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;

/** One entry of a directory listing. {@code size} is 0 for directories. */
public record DirEntry(String name, Type type, long size) implements CborSerializable {
  public enum Type { FILE, DIR }
}
