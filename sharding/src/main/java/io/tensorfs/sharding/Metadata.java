package io.tensorfs.sharding;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsPath;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The metadata operations the gateway needs, over the sharded File, Chunk and Directory entities.
 * Every stage completes with the result or fails with a {@link io.tensorfs.core.TfsException} that
 * carries the error code (NOT_FOUND, CONFLICT, PRECONDITION_FAILED, UNAVAILABLE on ask timeout...).
 */
public interface Metadata {
  /**
   * Starts an upload of a new version of {@code path}: registers it in every ancestor directory
   * (CONFLICT where a file stands in the way, or where {@code path} is a directory) and returns the new
   * version's id. PRECONDITION_FAILED when {@code precondition} does not hold on the sealed version
   * now ({@link Precondition#CREATE_ONLY}: when one exists), so that a doomed upload writes no bytes.
   */
  default CompletionStage<FileId> beginUpload(TfsPath path, Policy policy, int chunkSizeBytes,
      Precondition precondition) {
    return begin(path, policy, chunkSizeBytes, precondition).thenApply(Begun::fileId);
  }

  /** {@link #beginUpload}, saying also whether a sealed version is visible now (the upload would replace it). */
  CompletionStage<Begun> begin(TfsPath path, Policy policy, int chunkSizeBytes, Precondition precondition);

  /**
   * The first step of a one-step write (a body of one chunk): links {@code path} as {@link #begin} does and
   * checks {@code precondition} now, but records nothing: the upload is recorded with its bytes by
   * {@link #sealNew}, its chunk by {@link #commitNewChunk}. A crash in between leaves bytes no metadata names,
   * which the stores' collection removes once they are older than its grace.
   */
  CompletionStage<Begun> prepare(TfsPath path, Precondition precondition);

  /** {@link #commitChunk} for a chunk placed by the writer itself (no {@link #allocateChunk}): one journal write. */
  CompletionStage<Void> commitNewChunk(ChunkId chunk, Policy policy, List<ReplicaLocation> placed, long lengthBytes,
      int crc32c, List<ReplicaLocation> written);

  /**
   * {@link #seal} for an upload named by {@link #prepare}: records it and makes it visible in one journal
   * write, with the same checks and the same answer.
   */
  default CompletionStage<Sealed> sealNew(TfsPath path, FileId fileId, Policy policy, int chunkSizeBytes,
      long startedAtMillis, long size, List<FileVersion.ChunkInfo> chunks, int crc32c, Precondition precondition) {
    return sealNew(path, fileId, policy, chunkSizeBytes, startedAtMillis, size, chunks, crc32c, precondition,
        FileAttributes.defaults());
  }

  /** {@link #sealNew} recording the writer's {@code attributes} with the version (mtime 0: the seal time). */
  CompletionStage<Sealed> sealNew(TfsPath path, FileId fileId, Policy policy, int chunkSizeBytes,
      long startedAtMillis, long size, List<FileVersion.ChunkInfo> chunks, int crc32c, Precondition precondition,
      FileAttributes attributes);

  /** Places a chunk's replicas on distinct stores among {@code candidates}: at most the policy's count. */
  CompletionStage<List<ReplicaLocation>> allocateChunk(ChunkId chunk, Policy policy, List<ReplicaLocation> candidates);

  /** Records the bytes of a chunk as committed on {@code written}; other allocated replicas become STALE. */
  CompletionStage<Void> commitChunk(ChunkId chunk, long lengthBytes, int crc32c, List<ReplicaLocation> written);

  /**
   * Makes the upload the visible version of its path, atomically. Returns the new version and the
   * version it replaced, whose bytes the caller then collects once its readers are done.
   * PRECONDITION_FAILED, changing nothing, when {@code precondition} does not hold on the version
   * visible at the seal (checked atomically with it).
   */
  default CompletionStage<Sealed> seal(TfsPath path, FileId fileId, long size, List<FileVersion.ChunkInfo> chunks,
      int crc32c, Precondition precondition) {
    return seal(path, fileId, size, chunks, crc32c, precondition, FileAttributes.defaults());
  }

  /** {@link #seal} recording the writer's {@code attributes} with the version (mtime 0: the seal time). */
  CompletionStage<Sealed> seal(TfsPath path, FileId fileId, long size, List<FileVersion.ChunkInfo> chunks,
      int crc32c, Precondition precondition, FileAttributes attributes);

  /**
   * Abandons an upload; its chunk entities are marked deleted. Completes with {@code true} when nothing
   * was abandoned because the upload is the visible version already (its seal was recorded, though its
   * reply was lost or a step after it failed): its bytes must then be kept.
   */
  CompletionStage<Boolean> abortUpload(TfsPath path, FileId fileId);

  /** The visible version, or NOT_FOUND. */
  CompletionStage<FileVersion> stat(TfsPath path);

  /**
   * {@link #stat} for a read that starts now: may answer from this node's version cache, kept current by
   * the file entities (see {@link VersionCache}), asking no entity. Once a replace or delete has been
   * acknowledged, it no longer answers the version that was replaced or deleted. NOT_FOUND is never cached.
   */
  default CompletionStage<FileVersion> statForRead(TfsPath path) {
    return stat(path);
  }

  /** Replicas of a chunk (asked of its entity; callers may cache since committed chunks never change). */
  CompletionStage<ChunkStatus> chunk(ChunkId chunk);

  /**
   * Deletes the visible version; returns it so its bytes can be collected. NOT_FOUND when absent;
   * PRECONDITION_FAILED, deleting nothing, when {@code precondition} does not hold on it.
   */
  CompletionStage<FileVersion> delete(TfsPath path, Precondition precondition);

  /**
   * Every entry of a directory, sorted by name (read page after page); NOT_FOUND for a directory with no
   * entries, CONFLICT for a file.
   */
  CompletionStage<List<DirEntry>> list(TfsPath dir);

  /**
   * Up to {@code limit} (1..{@link Page#MAX_LIMIT}) entries of a directory whose names follow {@code afterName}
   * (null: from the first), sorted by name (Java {@link String} order). A name present for a whole listing
   * that pages through is listed once; files with no sealed version are left out (so a page may hold
   * fewer than {@code limit}). NOT_FOUND (first page only) for a directory with no entries, CONFLICT for
   * a file, BAD_REQUEST for a limit out of range.
   */
  CompletionStage<Page> listPage(TfsPath dir, String afterName, int limit);

  /**
   * One page of a listing.
   *
   * @param lastName the name to list after for the next page; empty on the last page
   */
  record Page(List<DirEntry> entries, Optional<String> lastName) {
    /** Page size of {@link #list}, and of listings that name none. */
    public static final int DEFAULT_LIMIT = 1000;
    /** The largest page a listing returns. */
    public static final int MAX_LIMIT = 10_000;

    public Page {
      entries = List.copyOf(entries);
    }
  }

  /**
   * Changes the visible version's attributes, keeping its bytes and its version number; returns the version
   * as it is now. NOT_FOUND when the file has no visible version (a directory: {@link #setDirAttributes}).
   */
  CompletionStage<FileVersion> setAttributes(TfsPath path, AttributeChange change);

  /**
   * Changes a directory's attributes (an implicit one keeps them too while it exists); NOT_FOUND when there
   * is no such directory, CONFLICT for a file.
   */
  CompletionStage<DirInfo> setDirAttributes(TfsPath dir, AttributeChange change);

  /**
   * Makes {@code dir} an explicit directory, which stays when its last entry goes, with the directories
   * above it as needed (implicit ones). CONFLICT "... exists" when {@code dir} is a directory already
   * (explicit or implicit), CONFLICT "... is a file" when a file has that name or one above it.
   */
  CompletionStage<Void> mkdir(TfsPath dir, FileAttributes attributes);

  /**
   * Removes an empty directory (explicit, or implicit and left empty by a crash); the implicit ones above
   * it that it leaves empty go too. NOT_FOUND when there is no such directory, CONFLICT "... not empty" while
   * it has entries, CONFLICT for a file or the root.
   */
  CompletionStage<Void> rmdir(TfsPath dir);

  /** A directory's facts; NOT_FOUND when there is no such directory, CONFLICT "... is a file" for a file. */
  CompletionStage<DirInfo> statDir(TfsPath dir);

  /**
   * Moves the visible version of the file {@code from} to {@code to}: the same bytes and chunks (no copy)
   * become {@code to}'s next version, {@code to}'s old version (returned as replaced, for the caller to
   * collect) goes, and {@code from} has no visible version after. Crash-safe: an intent recorded at
   * {@code from} is driven to its end, again after a restart. PRECONDITION_FAILED, moving nothing, when
   * {@code onTarget} does not hold on {@code to}'s version; NOT_FOUND when {@code from} has none; CONFLICT
   * when {@code to} is a directory or a rename of {@code from} is under way; BAD_REQUEST when {@code from}
   * equals {@code to}.
   */
  CompletionStage<Sealed> rename(TfsPath from, TfsPath to, Precondition onTarget);

  /**
   * {@link #listPage} with each file's visible version (for listings that show size, mtime and ETag, as S3's):
   * the same names, pages and errors.
   */
  CompletionStage<VersionPage> listVersions(TfsPath dir, String afterName, int limit);

  /**
   * One page of {@link #listVersions}.
   *
   * @param lastName the name to list after for the next page; empty on the last page
   */
  record VersionPage(List<Listed> entries, Optional<String> lastName) {
    public VersionPage {
      entries = List.copyOf(entries);
    }
  }

  /** A listed name: a directory (no version) or a file with its visible version. */
  record Listed(String name, DirEntry.Type type, Optional<FileVersion> version) {
    public DirEntry entry() {
      return new DirEntry(name, type, version.map(FileVersion::size).orElse(0L));
    }
  }

  /**
   * Tells a chunk's entity that it was read {@code reads} times on {@code node} in the last
   * {@code windowMillis} (drives elastic in-memory replicas; no reply, nothing fails).
   */
  void reportReads(ChunkId chunk, String node, TfsPath owner, long reads, long windowMillis,
      ActorRef<MemoryReplicaProtocol.Command> agent);

  record Sealed(FileVersion current, Optional<FileVersion> replaced) {}

  /** @param replaces a sealed version of the path was visible when the upload began */
  record Begun(FileId fileId, boolean replaces) {}
}
