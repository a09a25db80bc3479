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
 * @param attributes     mode, owner, mtime and the S3 fields; a version recorded before they existed reads
 *                       as {@link FileAttributes#defaults()} with its seal time as mtime. A
 *                       {@code setAttributes} changes them and keeps the version number (the bytes are the same).
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
    long sealedAtMillis,
    FileAttributes attributes)
    implements CborSerializable {

  public FileVersion {
    chunks = List.copyOf(chunks);
    if (attributes == null) attributes = FileAttributes.defaults().withMtime(sealedAtMillis);
    else if (attributes.mtimeMillis() <= 0) attributes = attributes.withMtime(sealedAtMillis);
  }

  /** A version with default attributes (mtime = the seal time). */
  public FileVersion(TfsPath path, FileId fileId, long version, long size, int chunkSizeBytes, Policy policy,
      List<ChunkInfo> chunks, int crc32c, long sealedAtMillis) {
    this(path, fileId, version, size, chunkSizeBytes, policy, chunks, crc32c, sealedAtMillis, null);
  }

  /** This version with other attributes (same bytes, same number). */
  public FileVersion withAttributes(FileAttributes attributes) {
    return new FileVersion(path, fileId, version, size, chunkSizeBytes, policy, chunks, crc32c, sealedAtMillis,
        attributes);
  }

  /** This version as {@code to} shows it after a rename: the same bytes under another path and number. */
  public FileVersion movedTo(TfsPath to, long newVersion) {
    return new FileVersion(to, fileId, newVersion, size, chunkSizeBytes, policy, chunks, crc32c, sealedAtMillis,
        attributes);
  }

  /** Length and CRC32C of one chunk of a sealed file. */
  public record ChunkInfo(long lengthBytes, int crc32c) implements CborSerializable {}
}
