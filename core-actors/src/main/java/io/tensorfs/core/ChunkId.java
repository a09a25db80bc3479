package io.tensorfs.core;

/** The chunk (large page) {@code index} of one file version. */
public record ChunkId(FileId fileId, int index) implements CborSerializable {
  public ChunkId {
    if (fileId == null || index < 0) throw new IllegalArgumentException("bad chunk id");
  }

  /** The sharding entity id: {@code <fileId>-<index>}. */
  public String entityId() {
    return fileId.value() + "-" + index;
  }

  public static ChunkId parse(String entityId) {
    int dash = entityId.lastIndexOf('-');
    return new ChunkId(new FileId(entityId.substring(0, dash)), Integer.parseInt(entityId.substring(dash + 1)));
  }

  @Override
  public String toString() {
    return entityId();
  }
}
