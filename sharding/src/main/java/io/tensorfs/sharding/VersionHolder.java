package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.TfsPath;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * This node's side of read leases, one per node: the ref a node gives file entities when it asks for a
 * version to keep in its {@link VersionCache}, and where those entities send {@link Invalidate} when the
 * version is replaced or deleted. It drops the version and answers at once: the entity holds its writer's
 * acknowledgement until every holder has answered or its lease has run out.
 *
 * <p>An actor: its messages are handled one at a time; the cache it changes is thread-safe.
 */
public final class VersionHolder {
  private VersionHolder() {}

  /** A message to a node's version holder. */
  public sealed interface Command extends CborSerializable {}

  /**
   * {@code version} of {@code path} (and any older one) must no longer be served here: answer with
   * {@link FileEntity.HolderInvalidated} once it is dropped.
   */
  public record Invalidate(TfsPath path, long version, ActorRef<FileEntity.Command> replyTo) implements Command {}

  public static Behavior<Command> create(VersionCache cache) {
    return Behaviors.setup(context -> Behaviors.receive(Command.class)
        .onMessage(Invalidate.class, m -> {
          cache.invalidate(m.path(), m.version());
          m.replyTo().tell(new FileEntity.HolderInvalidated(context.getSelf(), m.version()));
          return Behaviors.same();
        })
        .build());
  }
}
