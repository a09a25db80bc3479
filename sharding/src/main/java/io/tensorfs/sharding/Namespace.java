package io.tensorfs.sharding;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps files reachable from the root through the directory entities. There is no transaction across
 * entities, so the order of the steps is what keeps concurrent calls right: {@link #relink} adds from
 * the file upwards, {@link #unlink} prunes an emptied directory and then looks into it again, so that
 * a directory a concurrent seal filled is put back. Thread-safe.
 */
final class Namespace {
  private static final Logger log = LoggerFactory.getLogger(Namespace.class);

  private final EntityAsks asks;

  Namespace(EntityAsks asks) {
    this.asks = asks;
  }

  /** Adds every directory above {@code path} from the root down, then the file: CONFLICT on the way. */
  CompletionStage<Void> link(TfsPath path) {
    List<TfsPath> dirs = directoriesAbove(path);
    CompletionStage<Void> chain = EntityAsks.done();
    for (TfsPath dir : dirs) chain = chain.thenCompose(v -> add(dir, DirEntry.Type.DIR));
    return chain.thenCompose(v -> add(path, DirEntry.Type.FILE));
  }

  /** Adds the file and then each directory above it, bottom up; idempotent. */
  CompletionStage<Void> relink(TfsPath path) {
    List<TfsPath> dirs = directoriesAbove(path);
    Collections.reverse(dirs);
    CompletionStage<Void> chain = add(path, DirEntry.Type.FILE);
    for (TfsPath dir : dirs) chain = chain.thenCompose(v -> add(dir, DirEntry.Type.DIR));
    return chain.handle((v, failure) -> {
      if (failure == null) return EntityAsks.done();
      Throwable cause = Failures.unwrap(failure);
      if (TfsException.codeOf(cause) != ErrorCode.CONFLICT) return CompletableFuture.<Void>failedFuture(cause);
      // A file took the place of one of its directories while it was being sealed.
      log.warn("sealed {} but could not link it: {}", path, cause.getMessage());
      return EntityAsks.done();
    }).thenCompose(stage -> stage);
  }

  /**
   * Removes the file's name from its directory, then the directories it leaves empty. Pruning is
   * housekeeping: its failures are logged, not returned.
   */
  CompletionStage<Void> unlink(TfsPath path) {
    return asks.<DirectoryEntity.RemoveChildReply>dir(path.parent(),
            r -> new DirectoryEntity.RemoveChild(path.name(), DirEntry.Type.FILE, r))
        .thenCompose(reply -> {
          DirectoryEntity.Removed removed = EntityAsks.expect(reply, DirectoryEntity.Removed.class);
          if (!removed.existed() || !removed.empty()) return EntityAsks.done();
          return prune(path.parent()).exceptionally(t -> {
            log.warn("could not prune the directories above {}: {}", path, Failures.unwrap(t).getMessage());
            return null;
          });
        });
  }

  /** The first {@code limit} names of {@code dir} after {@code afterName} (null: from the first). */
  CompletionStage<List<DirectoryEntity.Child>> children(TfsPath dir, String afterName, int limit) {
    return asks.<DirectoryEntity.ListReply>dir(dir, r -> new DirectoryEntity.ListChildren(afterName, limit, r))
        .thenApply(reply -> EntityAsks.expect(reply, DirectoryEntity.Children.class).children());
  }

  /** Adds every directory above {@code dir} and then {@code dir} itself, as a directory: CONFLICT on the way. */
  CompletionStage<Void> linkDirectory(TfsPath dir) {
    List<TfsPath> dirs = directoriesAbove(dir);
    dirs.add(dir);
    CompletionStage<Void> chain = EntityAsks.done();
    for (TfsPath d : dirs) chain = chain.thenCompose(v -> add(d, DirEntry.Type.DIR));
    return chain;
  }

  /** What the name {@code path} is in its directory: a file, a directory, or nothing (the root is a directory). */
  CompletionStage<java.util.Optional<DirEntry.Type>> kindOf(TfsPath path) {
    if (path.isRoot()) return java.util.concurrent.CompletableFuture.completedFuture(java.util.Optional.of(DirEntry.Type.DIR));
    return child(path.parent(), path.name())
        .thenApply(found -> found.map(DirectoryEntity.Child::type));
  }

  /** Whether {@code dir} holds the {@link DirectoryEntity#KEEP} marker: it is explicit. */
  CompletionStage<Boolean> kept(TfsPath dir) {
    return child(dir, DirectoryEntity.KEEP).thenApply(java.util.Optional::isPresent);
  }

  private CompletionStage<java.util.Optional<DirectoryEntity.Child>> child(TfsPath dir, String name) {
    return asks.<DirectoryEntity.ListReply>dir(dir, r -> new DirectoryEntity.GetChild(name, r))
        .thenApply(reply -> EntityAsks.expect(reply, DirectoryEntity.Children.class).children().stream().findFirst());
  }

  /** Marks {@code dir} explicit; completes with whether the marker is new. */
  CompletionStage<Boolean> keep(TfsPath dir) {
    return asks.<DirectoryEntity.AddChildReply>dir(dir,
            r -> new DirectoryEntity.AddChild(DirectoryEntity.KEEP, DirEntry.Type.DIR, r))
        .thenApply(reply -> EntityAsks.expect(reply, DirectoryEntity.Added.class).created());
  }

  /** Removes {@code dir}'s explicit marker: whether it was there, and whether the directory is empty now. */
  CompletionStage<DirectoryEntity.Removed> unkeep(TfsPath dir) {
    return asks.<DirectoryEntity.RemoveChildReply>dir(dir,
            r -> new DirectoryEntity.RemoveChild(DirectoryEntity.KEEP, DirEntry.Type.DIR, r))
        .thenApply(reply -> EntityAsks.expect(reply, DirectoryEntity.Removed.class));
  }

  /**
   * Removes the emptied directory {@code dir} from its parent, and the directories above it that this
   * leaves empty; a directory filled meanwhile is put back.
   */
  CompletionStage<Void> prune(TfsPath dir) {
    if (dir.isRoot()) return EntityAsks.done();
    return asks.<DirectoryEntity.RemoveChildReply>dir(dir.parent(),
            r -> new DirectoryEntity.RemoveChild(dir.name(), DirEntry.Type.DIR, r))
        .thenCompose(reply -> {
          DirectoryEntity.Removed removed = EntityAsks.expect(reply, DirectoryEntity.Removed.class);
          if (!removed.existed()) return EntityAsks.done();
          return children(dir, null, 1).thenCompose(first -> {
            if (!first.isEmpty()) return add(dir, DirEntry.Type.DIR); // filled meanwhile
            return removed.empty() ? prune(dir.parent()) : EntityAsks.done();
          });
        });
  }

  private CompletionStage<Void> add(TfsPath path, DirEntry.Type type) {
    return asks.<DirectoryEntity.AddChildReply>dir(path.parent(),
            r -> new DirectoryEntity.AddChild(path.name(), type, r))
        .thenApply(reply -> {
          EntityAsks.expect(reply, DirectoryEntity.Added.class);
          return null;
        });
  }

  /** The directories strictly between the root and {@code path}, top first. */
  static List<TfsPath> directoriesAbove(TfsPath path) {
    List<TfsPath> dirs = new ArrayList<>();
    for (TfsPath p = path.parent(); !p.isRoot(); p = p.parent()) dirs.add(p);
    Collections.reverse(dirs);
    return dirs;
  }
}
