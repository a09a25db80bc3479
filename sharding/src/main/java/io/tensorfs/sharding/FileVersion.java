package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.util.List;

/**
 * One sealed, immutable version of a file: what a reader sees. {@code version} grows by one at every
 * seal of the path and never repeats, even across a delete, so it serves as the ETag.
 *
 * @param chunkSizeBytes every chunk but the last holds exactly this many bytes
 */
public record FileVersion(
    TfsPath path,
    FileId fileId,
    long version,
    long size,
    int chunkSizeBytes,
    Policy policy,
    List<ChunkInfo> chunks,
    int crc32c,
    long sealedAtMillis)
    implements CborSerializable {

  public FileVersion {
    chunks = List.copyOf(chunks);
  }

  /** Length and CRC32C of one chunk of a sealed file. */
  public record ChunkInfo(long lengthBytes, int crc32c) implements CborSerializable {}
}
