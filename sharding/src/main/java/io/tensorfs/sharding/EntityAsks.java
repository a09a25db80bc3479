package io.tensorfs.sharding;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.Stages;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.function.Function;

/**
 * Asks the sharded entities, with the configured timeout; a timeout fails the stage with
 * UNAVAILABLE and a {@link Rejected} reply with its own code. Thread-safe.
 */
public final class EntityAsks {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public EntityAsks(ClusterSharding sharding, Duration timeout) {
    this.sharding = sharding;
    this.timeout = timeout;
  }

  <R> CompletionStage<R> file(TfsPath path, Function<ActorRef<R>, FileEntity.Command> message) {
    return ask(FileEntity.ENTITY_TYPE_KEY, path.toString(), message);
  }

  <R> CompletionStage<R> chunk(ChunkId chunk, Function<ActorRef<R>, ChunkEntity.Command> message) {
    return ask(ChunkEntity.ENTITY_TYPE_KEY, chunk.entityId(), message);
  }

  <R> CompletionStage<R> dir(TfsPath dir, Function<ActorRef<R>, DirectoryEntity.Command> message) {
    return ask(DirectoryEntity.ENTITY_TYPE_KEY, dir.toString(), message);
  }

  /** A message to a chunk's entity that wants no answer. */
  void tellChunk(ChunkId chunk, ChunkEntity.Command message) {
    sharding.entityRefFor(ChunkEntity.ENTITY_TYPE_KEY, chunk.entityId()).tell(message);
  }

  /** Asks the entity {@code id} of {@code type}; other modules' entities (tenants) are asked through this too. */
  public <M, R> CompletionStage<R> ask(EntityTypeKey<M> type, String id, Function<ActorRef<R>, M> message) {
    EntityRef<M> ref = sharding.entityRefFor(type, id);
    CompletableFuture<R> result = new CompletableFuture<>();
    ref.ask(message, timeout).whenCompleteAsync((reply, failure) -> {
      if (failure == null) {
        result.complete(reply);
      } else {
        result.completeExceptionally(translate(failure, type.name() + " " + id));
      }
    }, Stages.ON_THE_SPOT);
    return result;
  }

  private TfsException translate(Throwable failure, String entity) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof TfsException e) return e;
    if (cause instanceof TimeoutException) {
      return new TfsException(ErrorCode.UNAVAILABLE,
          "metadata did not answer within " + timeout.toMillis() + " ms (" + entity + ")", cause);
    }
    return new TfsException(ErrorCode.INTERNAL, "metadata ask to " + entity + " failed: " + cause, cause);
  }

  /** The reply as {@code type}, or the failure a {@link Rejected} reply stands for. */
  static <T> T expect(Object reply, Class<T> type) {
    if (reply instanceof Rejected r) throw r.toException();
    return type.cast(reply);
  }

  /** All the stages' values, in order; fails with the first failure. */
  static <T> CompletionStage<List<T>> all(List<? extends CompletionStage<T>> stages) {
    CompletionStage<List<T>> acc = CompletableFuture.completedFuture(new ArrayList<>(stages.size()));
    for (CompletionStage<T> stage : stages) {
      acc = acc.thenCombine(stage, (list, value) -> {
        list.add(value);
        return list;
      });
    }
    return acc.thenApply(List::copyOf);
  }

  static CompletionStage<Void> done() {
    return CompletableFuture.completedFuture(null);
  }

  static TfsException error(ErrorCode code, String message) {
    return new TfsException(code, message);
  }

  static TfsException notFound(String message) {
    return new TfsException(ErrorCode.NOT_FOUND, message);
  }

  static <T> CompletionStage<T> failed(ErrorCode code, String message) {
    return CompletableFuture.failedFuture(new TfsException(code, message));
  }
}
