package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The names in one directory and whether each is a file or a directory; sizes live in the files'
 * entities. Entity id = the directory's path ({@code /} for the root).
 *
 * <p>Runs on its shard's actor; the state is immutable (each change copies the name map, which bounds
 * a directory to some tens of thousands of names).
 */
public final class DirectoryEntity
    extends EventSourcedBehaviorWithEnforcedReplies<DirectoryEntity.Command, DirectoryEntity.Event,
        DirectoryEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Dir");

  private final TfsPath dir;

  private DirectoryEntity(TfsPath dir, PersistenceId persistenceId) {
    super(persistenceId);
    this.dir = dir;
  }

  public static Behavior<Command> create(String entityId) {
    TfsPath dir = TfsPath.parse(entityId);
    return new DirectoryEntity(dir, PersistenceId.of(ENTITY_TYPE_KEY.name(), dir.toString()));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Adds a name; idempotent when it is already there with the same type. Replies {@link Added}, or
   * {@link Rejected}: CONFLICT when the name is there with the other type, BAD_PATH for a bad name.
   */
  public record AddChild(String name, DirEntry.Type type, ActorRef<AddChildReply> replyTo) implements Command {}

  /** Removes a name if it is there with that type. */
  public record RemoveChild(String name, DirEntry.Type type, ActorRef<Removed> replyTo) implements Command {}

  /** The names, sorted. */
  public record ListChildren(ActorRef<Listing> replyTo) implements Command {}

  public sealed interface AddChildReply extends CborSerializable permits Added, Rejected {}

  /** @param created false when the name was already there */
  public record Added(boolean created) implements AddChildReply {}

  /** @param remaining names left in the directory */
  public record Removed(boolean existed, int remaining) implements CborSerializable {}

  public record Listing(List<Child> children) implements CborSerializable {
    public Listing {
      children = List.copyOf(children);
    }
  }

  public record Child(String name, DirEntry.Type type) implements CborSerializable {}

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record ChildAdded(String name, DirEntry.Type type) implements Event {}

  public record ChildRemoved(String name) implements Event {}

  // ---- state

  public record State(SortedMap<String, DirEntry.Type> children) implements CborSerializable {
    public State {
      children = Collections.unmodifiableSortedMap(new TreeMap<>(children));
    }

    State with(String name, DirEntry.Type type) {
      SortedMap<String, DirEntry.Type> more = new TreeMap<>(children);
      more.put(name, type);
      return new State(more);
    }

    State without(String name) {
      SortedMap<String, DirEntry.Type> fewer = new TreeMap<>(children);
      fewer.remove(name);
      return new State(fewer);
    }
  }

  @Override
  public State emptyState() {
    return new State(new TreeMap<>());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  // ---- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(AddChild.class, this::onAdd)
        .onCommand(RemoveChild.class, this::onRemove)
        .onCommand(ListChildren.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Listing(
            state.children().entrySet().stream().map(e -> new Child(e.getKey(), e.getValue())).toList())))
        .build();
  }

  private ReplyEffect<Event, State> onAdd(State state, AddChild cmd) {
    try {
      dir.child(cmd.name());
    } catch (TfsException e) {
      return Effect().reply(cmd.replyTo(), new Rejected(e.code(), e.getMessage()));
    }
    DirEntry.Type present = state.children().get(cmd.name());
    if (present == cmd.type()) {
      return Effect().reply(cmd.replyTo(), new Added(false));
    }
    if (present != null) {
      String what = present == DirEntry.Type.FILE ? "a file" : "a directory";
      return Effect().reply(cmd.replyTo(),
          new Rejected(ErrorCode.CONFLICT, dir.child(cmd.name()) + " is " + what));
    }
    return Effect().persist(new ChildAdded(cmd.name(), cmd.type())).thenReply(cmd.replyTo(), s -> new Added(true));
  }

  private ReplyEffect<Event, State> onRemove(State state, RemoveChild cmd) {
    if (state.children().get(cmd.name()) != cmd.type()) {
      return Effect().reply(cmd.replyTo(), new Removed(false, state.children().size()));
    }
    return Effect().persist(new ChildRemoved(cmd.name()))
        .thenReply(cmd.replyTo(), s -> new Removed(true, s.children().size()));
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ChildAdded.class, (state, e) -> state.with(e.name(), e.type()))
        .onEvent(ChildRemoved.class, (state, e) -> state.without(e.name()))
        .build();
  }
}
