package io.tensorfs.sharding;

import static io.tensorfs.sharding.EntityAsks.all;
import static io.tensorfs.sharding.EntityAsks.done;
import static io.tensorfs.sharding.EntityAsks.expect;
import static io.tensorfs.sharding.EntityAsks.failed;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.ReplicaState;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.MetadataOracle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Metadata} over the sharded {@link FileEntity}, {@link ChunkEntity} and {@link DirectoryEntity},
 * and the {@link MetadataOracle} this node's stores consult at start. Every call asks entities with
 * the configured timeout and never blocks. Thread-safe.
 */
public final class ShardedMetadata implements Metadata, MetadataOracle {
  private static final Logger log = LoggerFactory.getLogger(ShardedMetadata.class);
  /** Chunk entities deleted at once when an upload is abandoned. */
  private static final int DELETE_BATCH = 16;

  private final EntityAsks asks;
  private final Namespace namespace;
  private final ShardingSettings settings;
  private final long nodeStartMillis;
  private final NodeVersions versions;

  /** Reads {@link ShardingSettings} from the system's config; starts sharding for the entities. */
  public ShardedMetadata(ActorSystem<?> system, long nodeStartMillis) {
    this(system, ShardingSettings.from(system.settings().config()), nodeStartMillis);
  }

  /**
   * @param nodeStartMillis when this node started: an upload begun before it, found by a store's
   *     scan, was cut off by a crash and is abandoned
   */
  public ShardedMetadata(ActorSystem<?> system, ShardingSettings settings, long nodeStartMillis) {
    ShardingSetup.init(system);
    this.asks = new EntityAsks(ClusterSharding.get(system), settings.askTimeout());
    this.namespace = new Namespace(asks);
    this.settings = settings;
    this.nodeStartMillis = nodeStartMillis;
    this.versions = NodeVersions.get(system);
    if (versions.settings().lease().compareTo(settings.askTimeout()) >= 0) {
      log.warn("tensorfs.sharding.read-lease ({}) is not below ask-timeout ({}): a replace or delete waiting for a"
          + " lease to run out fails UNAVAILABLE", versions.settings().lease(), settings.askTimeout());
    }
  }

  // ---- files

  @Override
  public CompletionStage<Begun> begin(TfsPath path, Policy policy, int chunkSizeBytes,
      Precondition precondition) {
    if (path.isRoot()) return failed(ErrorCode.CONFLICT, "/ is a directory");
    if (chunkSizeBytes <= 0) return failed(ErrorCode.BAD_REQUEST, "chunk size must be positive");
    return namespace.link(path)
        .thenCompose(v -> asks.<FileEntity.BeginReply>file(path,
            r -> new FileEntity.Begin(policy, chunkSizeBytes, precondition, r)))
        .thenApply(reply -> expect(reply, FileEntity.Begun.class))
        .thenApply(begun -> new Begun(begun.fileId(), begun.replaces()));
  }

  @Override
  public CompletionStage<Begun> prepare(TfsPath path, Precondition precondition) {
    if (path.isRoot()) return failed(ErrorCode.CONFLICT, "/ is a directory");
    // The directories and the file entity are asked at once: neither records anything the other depends on.
    CompletionStage<FileEntity.Begun> prepared = asks.<FileEntity.BeginReply>file(path,
            r -> new FileEntity.Prepare(precondition, r))
        .thenApply(reply -> expect(reply, FileEntity.Begun.class));
    return namespace.link(path).thenCombine(prepared, (v, begun) -> new Begun(begun.fileId(), begun.replaces()));
  }

  @Override
  public CompletionStage<Sealed> sealNew(TfsPath path, FileId fileId, Policy policy, int chunkSizeBytes,
      long startedAtMillis, long size, List<FileVersion.ChunkInfo> chunks, int crc32c, Precondition precondition,
      FileAttributes attributes) {
    FileEntity.Upload upload = new FileEntity.Upload(fileId, policy, chunkSizeBytes, startedAtMillis);
    return asks.<FileEntity.SealReply>file(path,
            r -> new FileEntity.SealNew(upload, size, List.copyOf(chunks), crc32c, precondition, r, attributes))
        .thenApply(reply -> expect(reply, FileEntity.SealAccepted.class))
        .thenCompose(accepted -> namespace.relink(path)
            .thenApply(v -> new Sealed(accepted.current(), accepted.replaced())));
  }

  @Override
  public CompletionStage<Sealed> seal(TfsPath path, FileId fileId, long size, List<FileVersion.ChunkInfo> chunks,
      int crc32c, Precondition precondition, FileAttributes attributes) {
    return asks.<FileEntity.SealReply>file(path,
            r -> new FileEntity.Seal(fileId, size, List.copyOf(chunks), crc32c, precondition, r, attributes))
        .thenApply(reply -> expect(reply, FileEntity.SealAccepted.class))
        // A delete that ran while the upload was in flight may have taken the name away.
        .thenCompose(accepted -> namespace.relink(path)
            .thenApply(v -> new Sealed(accepted.current(), accepted.replaced())));
  }

  @Override
  public CompletionStage<Boolean> abortUpload(TfsPath path, FileId fileId) {
    return asks.<FileEntity.Aborted>file(path, r -> new FileEntity.Abort(fileId, r))
        .thenCompose(aborted -> {
          if (aborted.current()) return CompletableFuture.completedFuture(true);
          return deleteChunks(fileId, 0)
              .thenCompose(v -> aborted.nothingLeft() ? namespace.unlink(path) : done())
              .thenApply(v -> false);
        });
  }

  @Override
  public CompletionStage<FileVersion> stat(TfsPath path) {
    return asks.<FileEntity.Current>file(path, FileEntity.Get::new)
        .thenApply(current -> current.version()
            .orElseThrow(() -> EntityAsks.notFound(path + " not found")));
  }

  /**
   * From this node's version cache while the path's lease holds; else asked of the entity with this node's
   * {@link VersionHolder}, which the entity then tells before the version it answers stops being visible.
   */
  @Override
  public CompletionStage<FileVersion> statForRead(TfsPath path) {
    if (!versions.settings().enabled()) return stat(path);
    VersionCache cache = versions.cache();
    Optional<FileVersion> held = cache.lookup(path);
    if (held.isPresent()) return CompletableFuture.completedFuture(held.get());
    long askedAt = cache.now();
    return asks.<FileEntity.Current>file(path, r -> new FileEntity.ReadLookup(versions.holder(), r))
        .thenApply(current -> {
          FileVersion v = current.version().orElseThrow(() -> EntityAsks.notFound(path + " not found"));
          cache.offer(v, askedAt);
          return v;
        });
  }

  @Override
  public CompletionStage<FileVersion> delete(TfsPath path, Precondition precondition) {
    return asks.<FileEntity.DeleteReply>file(path, r -> new FileEntity.Delete(precondition, r))
        .thenApply(reply -> expect(reply, FileEntity.Deleted.class))
        .thenCompose(deleted -> {
          FileVersion version = deleted.version().orElseThrow(() -> EntityAsks.notFound(path + " not found"));
          // Keep the name while uploads are in flight: their seal would bring it back anyway.
          if (deleted.uploadsPending()) return CompletableFuture.completedFuture(version);
          // The file entity has recorded the delete: it is done, whatever the directory answers. A failed
          // unlink must not turn it into an error a client would read as "nothing happened"; the entry it
          // leaves names a file with no version, which listings skip.
          return namespace.unlink(path).handle((v, failure) -> {
            if (failure != null) {
              log.warn("deleted {} but could not remove its directory entry (listings skip it): {}", path,
                  Failures.unwrap(failure).getMessage());
            }
            return version;
          });
        });
  }

  @Override
  public CompletionStage<List<DirEntry>> list(TfsPath dir) {
    return listFrom(dir, null, new ArrayList<>());
  }

  private CompletionStage<List<DirEntry>> listFrom(TfsPath dir, String afterName, List<DirEntry> so) {
    return listPage(dir, afterName, Page.DEFAULT_LIMIT).thenCompose(page -> {
      so.addAll(page.entries());
      if (page.lastName().isEmpty()) return CompletableFuture.completedFuture(List.copyOf(so));
      return listFrom(dir, page.lastName().get(), so);
    });
  }

  @Override
  public CompletionStage<Page> listPage(TfsPath dir, String afterName, int limit) {
    return listVersions(dir, afterName, limit).thenApply(page ->
        new Page(page.entries().stream().map(Listed::entry).toList(), page.lastName()));
  }

  @Override
  public CompletionStage<VersionPage> listVersions(TfsPath dir, String afterName, int limit) {
    if (limit < 1 || limit > Page.MAX_LIMIT) {
      return failed(ErrorCode.BAD_REQUEST, "limit must be 1.." + Page.MAX_LIMIT + ", not " + limit);
    }
    // One name more than the page: whether another page follows is then known, not guessed.
    return namespace.children(dir, afterName, limit + 1).thenCompose(read -> {
      if (read.isEmpty()) {
        return afterName == null ? emptyListing(dir).thenApply(none -> new VersionPage(List.of(), Optional.empty()))
            : CompletableFuture.completedFuture(new VersionPage(List.of(), Optional.empty()));
      }
      List<DirectoryEntity.Child> children = read.size() > limit ? read.subList(0, limit) : read;
      List<CompletionStage<Optional<Listed>>> entries = new ArrayList<>();
      for (DirectoryEntity.Child child : children) entries.add(entry(dir, child));
      // The next page starts after the last name read, even when that name was left out (no sealed version).
      Optional<String> last = read.size() > limit
          ? Optional.of(children.get(children.size() - 1).name()) : Optional.empty();
      return all(entries).thenApply(found -> new VersionPage(found.stream().flatMap(Optional::stream).toList(), last));
    });
  }

  /** An explicit directory with no entries lists empty; a name with no directory is NOT_FOUND or a file's CONFLICT. */
  private CompletionStage<List<DirEntry>> emptyListing(TfsPath dir) {
    if (dir.isRoot()) return CompletableFuture.completedFuture(List.of());
    return namespace.kindOf(dir).thenCompose(kind -> {
      if (kind.isPresent() && kind.get() == DirEntry.Type.DIR) return CompletableFuture.completedFuture(List.of());
      return noDirectory(dir);
    });
  }

  private CompletionStage<List<DirEntry>> noDirectory(TfsPath dir) {
    return asks.<FileEntity.Current>file(dir, FileEntity.Get::new).<List<DirEntry>>thenApply(current -> {
      if (current.version().isPresent()) throw EntityAsks.error(ErrorCode.CONFLICT, dir + " is not a directory");
      throw EntityAsks.notFound(dir + " not found");
    });
  }

  /** A file's entry carries its version; files with no sealed version (uploads, deleted) are left out. */
  private CompletionStage<Optional<Listed>> entry(TfsPath dir, DirectoryEntity.Child child) {
    if (child.type() == DirEntry.Type.DIR) {
      return CompletableFuture.completedFuture(Optional.of(new Listed(child.name(), DirEntry.Type.DIR,
          Optional.empty())));
    }
    return asks.<FileEntity.Current>file(dir.child(child.name()), FileEntity.Get::new)
        .thenApply(current -> current.version()
            .map(v -> new Listed(child.name(), DirEntry.Type.FILE, Optional.of(v))));
  }

  // ---- attributes, directories, rename

  @Override
  public CompletionStage<FileVersion> setAttributes(TfsPath path, AttributeChange change) {
    return asks.<FileEntity.AttributesReply>file(path, r -> new FileEntity.SetAttributes(change, r))
        .thenApply(reply -> expect(reply, FileEntity.AttributesChanged.class).current());
  }

  /** A directory's attributes are kept by the file entity of its path; setting them makes it explicit. */
  @Override
  public CompletionStage<DirInfo> setDirAttributes(TfsPath dir, AttributeChange change) {
    return statDir(dir).thenCompose(info -> {
      FileAttributes changed = info.attributes().with(change);
      CompletionStage<Boolean> kept = dir.isRoot() || info.explicit()
          ? CompletableFuture.completedFuture(true) : namespace.keep(dir);
      return kept.thenCompose(k -> asks.<FileEntity.AttributesReply>file(dir,
              r -> new FileEntity.SetDirAttributes(Optional.of(changed), r)))
          .thenApply(reply -> {
            expect(reply, FileEntity.DirAttributes.class); // a file took the name meanwhile: CONFLICT, not success
            return new DirInfo(dir, changed, !dir.isRoot());
          });
    });
  }

  /**
   * The directories above and the name in its parent first, then the marker that makes it explicit, then
   * its attributes: a crash in between leaves an implicit (empty) directory, or an explicit one with
   * default attributes, never a marker no listing reaches.
   */
  @Override
  public CompletionStage<Void> mkdir(TfsPath dir, FileAttributes attributes) {
    if (dir.isRoot()) return failed(ErrorCode.CONFLICT, "/ exists");
    FileAttributes given = attributes == null ? FileAttributes.directoryDefaults() : attributes;
    FileAttributes kept = given.mtimeMillis() > 0 ? given : given.withMtime(System.currentTimeMillis());
    return namespace.kindOf(dir).thenCompose(kind -> {
      if (kind.isPresent()) {
        return failed(ErrorCode.CONFLICT, dir + (kind.get() == DirEntry.Type.FILE ? " is a file" : " exists"));
      }
      return namespace.linkDirectory(dir)
          .thenCompose(v -> namespace.keep(dir))
          .thenCompose(created -> {
            if (!created) return failed(ErrorCode.CONFLICT, dir + " exists");
            return asks.<FileEntity.AttributesReply>file(dir,
                    r -> new FileEntity.SetDirAttributes(Optional.of(kept), r))
                .thenApply(reply -> {
                  expect(reply, FileEntity.DirAttributes.class);
                  return null;
                });
          });
    });
  }

  @Override
  public CompletionStage<Void> rmdir(TfsPath dir) {
    if (dir.isRoot()) return failed(ErrorCode.CONFLICT, "the root cannot be removed");
    return namespace.kindOf(dir).thenCompose(kind -> {
      if (kind.isEmpty()) return failed(ErrorCode.NOT_FOUND, dir + " not found");
      if (kind.get() == DirEntry.Type.FILE) return failed(ErrorCode.CONFLICT, dir + " is a file");
      return namespace.children(dir, null, 1).thenCompose(first -> {
        if (!first.isEmpty()) return failed(ErrorCode.CONFLICT, dir + " is not empty");
        return namespace.unkeep(dir).thenCompose(removed -> {
          if (removed.existed() && !removed.empty()) {
            // Filled while it was being removed: it stays, explicit as it was.
            return namespace.keep(dir).thenCompose(b -> failed(ErrorCode.CONFLICT, dir + " is not empty"));
          }
          // No marker: an implicit directory left empty (a crash between its link and its first file); it goes too.
          return namespace.prune(dir)
              .thenCompose(v -> asks.<FileEntity.AttributesReply>file(dir,
                  r -> new FileEntity.SetDirAttributes(Optional.empty(), r)))
              .handle((reply, failure) -> {
                // The directory is gone; attributes left behind are only read while a directory has the name.
                if (failure != null) log.warn("removed {} but not its attributes: {}", dir, Failures.unwrap(failure).getMessage());
                return (Void) null;
              });
        });
      });
    });
  }

  @Override
  public CompletionStage<DirInfo> statDir(TfsPath dir) {
    if (dir.isRoot()) {
      return asks.<FileEntity.DirAttributes>file(dir, FileEntity.GetDir::new)
          .thenApply(d -> new DirInfo(dir, d.attributes().orElse(FileAttributes.directoryDefaults()), false));
    }
    return namespace.kindOf(dir).thenCompose(kind -> {
      if (kind.isEmpty()) return failed(ErrorCode.NOT_FOUND, dir + " not found");
      if (kind.get() == DirEntry.Type.FILE) return failed(ErrorCode.CONFLICT, dir + " is a file");
      CompletionStage<FileEntity.DirAttributes> attributes = asks.file(dir, FileEntity.GetDir::new);
      return namespace.kept(dir).thenCombine(attributes, (explicit, d) ->
          new DirInfo(dir, d.attributes().orElse(FileAttributes.directoryDefaults()), explicit));
    });
  }

  @Override
  public CompletionStage<Sealed> rename(TfsPath from, TfsPath to, Precondition onTarget) {
    if (from.isRoot() || to.isRoot()) return failed(ErrorCode.BAD_PATH, "the root cannot be renamed or replaced");
    if (from.equals(to)) return failed(ErrorCode.BAD_REQUEST, "cannot rename " + from + " to itself");
    return asks.<FileEntity.RenameReply>file(from, r -> new FileEntity.RenameOut(to, onTarget, r))
        .thenApply(reply -> expect(reply, FileEntity.RenamedOut.class))
        .thenApply(done -> new Sealed(done.current(), done.replaced()));
  }

  // ---- chunks

  @Override
  public CompletionStage<List<ReplicaLocation>> allocateChunk(ChunkId chunk, Policy policy,
      List<ReplicaLocation> candidates) {
    return asks.<ChunkEntity.AllocateReply>chunk(chunk,
            r -> new ChunkEntity.Allocate(policy, List.copyOf(candidates), r))
        .thenApply(reply -> expect(reply, ChunkEntity.Placed.class).replicas());
  }

  @Override
  public CompletionStage<Void> commitChunk(ChunkId chunk, long lengthBytes, int crc32c,
      List<ReplicaLocation> written) {
    return asks.<ChunkEntity.CommitReply>chunk(chunk,
            r -> new ChunkEntity.Commit(lengthBytes, crc32c, List.copyOf(written), r))
        .thenApply(reply -> {
          expect(reply, ChunkEntity.Committed.class);
          return null;
        });
  }

  @Override
  public CompletionStage<Void> commitNewChunk(ChunkId chunk, Policy policy, List<ReplicaLocation> placed,
      long lengthBytes, int crc32c, List<ReplicaLocation> written) {
    return asks.<ChunkEntity.CommitReply>chunk(chunk,
            r -> new ChunkEntity.CommitNew(policy, List.copyOf(placed), lengthBytes, crc32c, List.copyOf(written), r))
        .thenApply(reply -> {
          expect(reply, ChunkEntity.Committed.class);
          return null;
        });
  }

  @Override
  public CompletionStage<ChunkStatus> chunk(ChunkId chunk) {
    return asks.<ChunkEntity.Status>chunk(chunk, ChunkEntity.Get::new)
        .thenApply(status -> status.status().orElseThrow(() -> EntityAsks.notFound("chunk " + chunk + " not found")));
  }

  @Override
  public void reportReads(ChunkId chunk, String node, TfsPath owner, long reads, long windowMillis,
      ActorRef<MemoryReplicaProtocol.Command> agent) {
    asks.tellChunk(chunk, new ChunkEntity.ReportReads(node, owner, reads, windowMillis, agent));
  }

  /**
   * Forgets the chunk entities of a version whose bytes have been collected (the version a seal
   * replaced, or a deleted one), once no reader needs their locations any more.
   */
  public CompletionStage<Void> forgetChunks(FileVersion version) {
    List<CompletionStage<ChunkEntity.Deleted>> deletes = IntStream.range(0, version.chunks().size())
        .mapToObj(i -> asks.<ChunkEntity.Deleted>chunk(new ChunkId(version.fileId(), i), ChunkEntity.Delete::new))
        .toList();
    return all(deletes).thenApply(d -> null);
  }

  /**
   * Deletes the chunk entities of an abandoned upload, which does not know how many it placed:
   * batch after batch from index 0, until a batch finds none (chunks are placed in order, nearly).
   */
  private CompletionStage<Void> deleteChunks(FileId file, int from) {
    List<CompletionStage<ChunkEntity.Deleted>> batch = IntStream.range(from, from + DELETE_BATCH)
        .mapToObj(i -> asks.<ChunkEntity.Deleted>chunk(new ChunkId(file, i), ChunkEntity.Delete::new))
        .toList();
    return all(batch).thenCompose(deleted -> deleted.stream().anyMatch(ChunkEntity.Deleted::existed)
        ? deleteChunks(file, from + DELETE_BATCH)
        : done());
  }

  // ---- the stores' scan

  @Override
  public CompletionStage<Verdict> check(FileId file, TfsPath owner, String store) {
    return asks.<FileEntity.Uploads>file(owner, FileEntity.GetUploads::new)
        .thenCompose(uploads -> verdict(file, owner, store, uploads))
        .exceptionally(t -> new Unknown("metadata could not tell: " + Failures.unwrap(t).getMessage()));
  }

  /** Renames a scan follows from the path the bytes were written under before it says "unknown". */
  private static final int MAX_FORWARDS = 64;

  private CompletionStage<Verdict> verdict(FileId file, TfsPath owner, String store, FileEntity.Uploads uploads) {
    Optional<CompletionStage<Verdict>> named = named(file, store, uploads, 0);
    if (named.isPresent()) return named.get();
    Optional<FileEntity.Upload> pending = uploads.pending().stream().filter(u -> u.fileId().equals(file)).findFirst();
    if (pending.isPresent() && pending.get().startedAtMillis() >= nodeStartMillis) {
      return CompletableFuture.completedFuture(new Pending("upload in progress"));
    }
    // An upload begun before this node started was cut off by its crash: nobody will seal it.
    CompletionStage<?> dropped = pending.isPresent() ? abortUpload(owner, file) : done();
    return dropped.thenApply(v -> new Orphan());
  }

  /**
   * The verdict when {@code uploads} (of the path asked) names {@code file}: as its visible version, as the
   * version of its open rename, or by a forward pointer to where a rename took it (followed there).
   */
  private Optional<CompletionStage<Verdict>> named(FileId file, String store, FileEntity.Uploads uploads, int hops) {
    ReplicaLocation here = new ReplicaLocation(settings.nodeId(), store);
    Optional<FileVersion> current = uploads.current().filter(v -> v.fileId().equals(file));
    if (current.isPresent()) return Optional.of(chunksHere(current.get(), here).thenApply(Live::new));
    Optional<FileVersion> moving = uploads.moving().map(FileEntity.Moving::version).filter(v -> v.fileId().equals(file));
    if (moving.isPresent()) return Optional.of(chunksHere(moving.get(), here).thenApply(Live::new));
    Optional<FileEntity.Forward> forward = uploads.forwards().stream().filter(f -> f.fileId().equals(file)).findFirst();
    if (forward.isEmpty()) return Optional.empty();
    if (hops >= MAX_FORWARDS) {
      return Optional.of(CompletableFuture.completedFuture(
          new Unknown("more than " + MAX_FORWARDS + " renames of " + file + " to follow")));
    }
    TfsPath to = forward.get().to();
    return Optional.of(asks.<FileEntity.Uploads>file(to, FileEntity.GetUploads::new)
        .thenCompose(there -> named(file, store, there, hops + 1)
            .orElseGet(() -> CompletableFuture.completedFuture(new Orphan()))));
  }

  /** The chunk indexes whose entity places a replica (not a stale one) on {@code here}. */
  private CompletionStage<Set<Integer>> chunksHere(FileVersion version, ReplicaLocation here) {
    List<CompletionStage<Optional<Integer>>> placed = new ArrayList<>();
    for (int i = 0; i < version.chunks().size(); i++) {
      int index = i;
      placed.add(asks.<ChunkEntity.Status>chunk(new ChunkId(version.fileId(), i), ChunkEntity.Get::new)
          .thenApply(status -> status.status()
              .filter(s -> s.replicas().stream()
                  .anyMatch(r -> r.location().equals(here) && r.state() != ReplicaState.STALE))
              .map(s -> index)));
    }
    return all(placed).thenApply(found -> {
      Set<Integer> indexes = new TreeSet<>();
      found.forEach(o -> o.ifPresent(indexes::add));
      return Set.copyOf(indexes);
    });
  }

  /** Marks a replica (of any node) MISSING: its node left the cluster. */
  public CompletionStage<ChunkStatus> markMissing(ChunkId chunk, ReplicaLocation location) {
    return asks.<ChunkEntity.Status>chunk(chunk, r -> new ChunkEntity.MarkMissing(location, r))
        .thenApply(status -> status.status().orElseThrow(() -> EntityAsks.notFound("chunk " + chunk + " not found")));
  }

  /** Marks a CLEAN replica CORRUPT: its store found its bytes failing their checksum. */
  public CompletionStage<ChunkStatus> markCorrupt(ChunkId chunk, ReplicaLocation location) {
    return asks.<ChunkEntity.Status>chunk(chunk, r -> new ChunkEntity.MarkCorrupt(location, r))
        .thenApply(status -> status.status().orElseThrow(() -> EntityAsks.notFound("chunk " + chunk + " not found")));
  }

  /** Records a copy of a committed chunk made on {@code location} (re-replication) as CLEAN. */
  public CompletionStage<ChunkStatus> addReplica(ChunkId chunk, ReplicaLocation location, long lengthBytes,
      int crc32c) {
    return asks.<ChunkEntity.Status>chunk(chunk, r -> new ChunkEntity.AddReplica(location, lengthBytes, crc32c, r))
        .thenApply(status -> status.status().orElseThrow(() -> EntityAsks.notFound("chunk " + chunk + " not found")));
  }

  /**
   * Removes the record of the replica on {@code location} (its node is drained) while at least
   * {@code keepClean} CLEAN replicas remain elsewhere; the status after, unchanged when refused.
   */
  public CompletionStage<ChunkStatus> removeReplica(ChunkId chunk, ReplicaLocation location, int keepClean) {
    return asks.<ChunkEntity.Status>chunk(chunk, r -> new ChunkEntity.RemoveReplica(location, keepClean, r))
        .thenApply(status -> status.status().orElseThrow(() -> EntityAsks.notFound("chunk " + chunk + " not found")));
  }

  @Override
  public CompletionStage<Void> reportMissing(ChunkId chunk, String store) {
    ReplicaLocation location = new ReplicaLocation(settings.nodeId(), store);
    return asks.<ChunkEntity.Status>chunk(chunk, r -> new ChunkEntity.MarkMissing(location, r))
        .thenApply(status -> null);
  }
}
