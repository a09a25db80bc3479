package io.tensorfs.store;

/**
 * A caller's rationing of one read's time at the disk ({@link ChunkStore#readInto(io.tensorfs.core.ChunkId,
 * long, java.nio.ByteBuffer, DiskTurn)}): the store opens the replica first, enters just before it asks the
 * disk for the bytes, and leaves as soon as they are off it, before their checksums are computed. So a
 * caller that lets one read at a time at the disk keeps it busy: the next read opens its replica while this
 * one is read, and is read while this one is checked.
 */
public interface DiskTurn {
  /** No rationing. */
  DiskTurn NONE = new DiskTurn() {
    @Override
    public void enter() {}

    @Override
    public void leave() {}
  };

  /** Waits, on the store's thread, until this read may ask the disk. Called at most once per read. */
  void enter() throws InterruptedException;

  /** The read is done with the disk (its bytes are off it, or it failed there). Called once after {@link #enter}. */
  void leave();
}
