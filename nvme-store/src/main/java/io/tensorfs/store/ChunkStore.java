package io.tensorfs.store;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The chunk replicas of one data directory (one device). Every method is non-blocking: file I/O runs
 * on the store's own bounded executor, never on the caller's thread. Thread-safe.
 *
 * <p>Bytes are checked with a CRC32C per {@code blockBytes} block, recorded at write and verified on
 * every read of a block, so a small range read verifies only the blocks it touches. A block that fails
 * its check fails the read with {@link io.tensorfs.core.ErrorCode#CHECKSUM_MISMATCH}: never wrong bytes.
 * A store on disk also tells its {@link CorruptReplica.Listener} of each such replica.
 */
public interface ChunkStore {
  /** This store's id within its node, stable across restarts (e.g. {@code d0}). */
  String id();

  Path directory();

  /** Bytes covered by one CRC32C. */
  int blockBytes();

  /**
   * Starts writing a replica of {@code chunk}. {@code owner} is recorded beside the file version so
   * the scan at start can ask the metadata whether the version is still live. A {@code durable}
   * writer fsyncs data and checksums before {@link ChunkWriter#finish()} completes.
   */
  ChunkWriter openWriter(ChunkId chunk, TfsPath owner, boolean durable);

  /**
   * Reads {@code length} bytes at {@code offset} of a chunk (fewer only at the chunk's end). Fails
   * with NOT_FOUND when the replica is absent, CHECKSUM_MISMATCH when a touched block is corrupt.
   */
  CompletionStage<ByteString> read(ChunkId chunk, long offset, int length);

  /**
   * Reads the verified bytes from {@code offset} of a chunk into {@code target}'s remaining space
   * (fewer only at the chunk's end) and completes with their count; {@code target}'s position moves
   * past them. Its bytes beyond the count, up to its limit, are unspecified afterwards. The caller
   * leaves {@code target} alone until the stage completes. Fails as {@link #read} does.
   *
   * <p>The default reads through {@link #read}; a store that can land the bytes straight in
   * {@code target} (an aligned direct buffer under O_DIRECT) overrides it.
   */
  default CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target) {
    return read(chunk, offset, target.remaining()).thenApply(bytes -> {
      bytes.copyToBuffer(target);
      return bytes.size();
    });
  }

  /**
   * {@link #readInto(ChunkId, long, ByteBuffer)} with its time at the disk inside {@code turn}: the store enters
   * the turn after opening the replica, just before it asks the disk, and leaves it as soon as the bytes are
   * off it, before they are checked. The default never enters (a store that asks no disk, or cannot tell).
   */
  default CompletionStage<Integer> readInto(ChunkId chunk, long offset, ByteBuffer target, DiskTurn turn) {
    return readInto(chunk, offset, target);
  }

  /**
   * Reads and verifies the bytes {@code [offset, offset+length)} of a chunk without handing them out (the
   * scrubber), and completes with their count (fewer only at the chunk's end). Fails as {@link #read}
   * does. The default reads through {@link #read}.
   */
  default CompletionStage<Integer> verify(ChunkId chunk, long offset, int length) {
    return read(chunk, offset, length).thenApply(ByteString::size);
  }

  /** The bytes {@code [offset, offset+length)} of a chunk as a stream of verified segments. */
  Source<ByteString, NotUsed> source(ChunkId chunk, long offset, long length);

  /** Removes every chunk replica of a file version; done when none is left. Absent is not an error. */
  CompletionStage<Done> deleteFile(FileId file);

  /**
   * Removes one chunk's replica (a drained node giving it up), and the file version's folder once it holds
   * no chunk and nothing being written. Absent is not an error. A store that cannot remove single chunks
   * fails with BAD_REQUEST.
   */
  default CompletionStage<Done> deleteChunk(ChunkId chunk) {
    return CompletableFuture.failedFuture(new TfsException(ErrorCode.BAD_REQUEST, "store " + id() + " cannot remove single chunks"));
  }

  /** The file versions present on disk, each with its owner path and the chunk indexes present. */
  CompletionStage<Map<FileId, StoredFile>> scan();

  /** Bytes the file system still offers to this store. */
  long usableBytes();

  /** Whether reads and writes bypass the page cache (O_DIRECT). */
  default boolean directIo() {
    return false;
  }

  /**
   * The file holding a chunk replica's bytes, from its offset 0, for readers that bypass this store (cuFile
   * reads straight into GPU memory): empty when the replica is absent or the store keeps no such file. Its
   * bytes are not checked against the block CRCs on that path. Blocks to look at the file system: call it
   * where blocking is allowed.
   */
  default Optional<Path> dataFile(ChunkId chunk) {
    return Optional.empty();
  }

  /**
   * One file version as found on disk.
   *
   * @param lastWrittenMillis when the newest of its files was last modified, in ms since the epoch
   */
  record StoredFile(FileId file, TfsPath owner, Set<Integer> chunks, long lastWrittenMillis) {}
}
