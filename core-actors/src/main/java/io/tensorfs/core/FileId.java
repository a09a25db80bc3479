package io.tensorfs.core;

import java.util.UUID;

/**
 * One immutable version of a file's bytes. A PUT over an existing path writes a new FileId and swaps
 * it in at seal, so readers of the old version keep reading the old FileId undisturbed.
 */
public record FileId(String value) implements CborSerializable {
  public FileId {
    if (value == null || !value.matches("[0-9a-f]{32}")) {
      throw new IllegalArgumentException("bad file id: " + value);
    }
  }

  public static FileId random() {
    return new FileId(UUID.randomUUID().toString().replace("-", ""));
  }

  @Override
  public String toString() {
    return value;
  }
}
