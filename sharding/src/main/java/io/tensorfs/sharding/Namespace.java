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

  private CompletionStage<Void> prune(TfsPath dir) {
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
