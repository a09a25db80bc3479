package io.tensorfs.store.internal;

import io.tensorfs.core.ChunkId;
import java.nio.file.FileStore;
import java.util.Set;

/**
 * What the readers and writers of one store share: its layout, its I/O mode and its buffers.
 *
 * @param align         alignment of direct I/O in bytes (a power of two, at least 4 KiB)
 * @param writing       chunks whose writer is open: their {@code .part} files are not leftovers
 * @param reservedBytes space the writers leave free on the device
 */
public record StoreContext(
    String storeId,
    ChunkLayout layout,
    FileStore fileStore,
    boolean directIo,
    int align,
    int blockBytes,
    long reservedBytes,
    AlignedBufferPool writeBuffers,
    AlignedBufferPool readBuffers,
    IoRunner io,
    Set<ChunkId> writing) {

  /** Bytes the file system offers beyond the reserve; never negative. */
  public long usableBytes() throws java.io.IOException {
    return Math.max(0, fileStore.getUsableSpace() - reservedBytes);
  }

  public static long alignUp(long n, int align) {
    return (n + align - 1) & -align;
  }
}
