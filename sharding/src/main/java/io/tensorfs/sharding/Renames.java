package io.tensorfs.sharding;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link FileEntity} whose version is being renamed asks of the rest of the metadata: the target's
 * entity to adopt the version (with the target's name linked into its directories first), and, once the
 * rename is recorded at the source, the names brought in line. Implementations are thread-safe; their
 * stages complete on any thread.
 */
interface Renames {
  Logger log = LoggerFactory.getLogger(Renames.class);

  /**
   * Links {@code to} into its directories and asks its entity to adopt {@code version}: the target's
   * reply ({@link FileEntity.SealAccepted}, or a {@link Rejected} whose code says why: CONFLICT when a
   * directory has the name), or a failed stage when the target could not be reached (to be asked again).
   */
  CompletionStage<FileEntity.SealReply> adopt(TfsPath from, TfsPath to, String renameId, FileVersion version,
      Precondition onTarget);

  /**
   * After the rename is recorded at {@code from}: {@code to} linked (again, idempotent), and {@code from}'s
   * name removed when nothing is left there. Housekeeping: completes normally, logging what failed.
   */
  CompletionStage<Void> settle(TfsPath from, TfsPath to, boolean nothingLeft);

  /** Over the sharded entities of {@code system}, asked with the configured timeout. */
  static Renames sharded(ActorSystem<?> system) {
    EntityAsks asks = new EntityAsks(ClusterSharding.get(system),
        ShardingSettings.from(system.settings().config()).askTimeout());
    Namespace namespace = new Namespace(asks);
    return new Renames() {
      @Override
      public CompletionStage<FileEntity.SealReply> adopt(TfsPath from, TfsPath to, String renameId,
          FileVersion version, Precondition onTarget) {
        return namespace.link(to).handle((v, failure) -> {
          if (failure == null) {
            return asks.<FileEntity.SealReply>file(to, r -> new FileEntity.Adopt(renameId, version, onTarget, r));
          }
          Throwable cause = Failures.unwrap(failure);
          ErrorCode code = TfsException.codeOf(cause);
          if (code == ErrorCode.UNAVAILABLE || code == ErrorCode.INTERNAL) {
            return CompletableFuture.<FileEntity.SealReply>failedFuture(cause);
          }
          return CompletableFuture.<FileEntity.SealReply>completedFuture(new Rejected(code, cause.getMessage()));
        }).thenCompose(stage -> stage);
      }

      @Override
      public CompletionStage<Void> settle(TfsPath from, TfsPath to, boolean nothingLeft) {
        CompletionStage<Void> linked = namespace.relink(to);
        CompletionStage<Void> unlinked = nothingLeft ? linked.thenCompose(v -> namespace.unlink(from)) : linked;
        return unlinked.exceptionally(t -> {
          log.warn("renamed {} to {} but could not update their directories: {}", from, to,
              Failures.unwrap(t).getMessage());
          return null;
        });
      }
    };
  }
}
