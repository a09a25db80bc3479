package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Failures;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The one writer of a directory's names, which live in a {@link DirectoryStore} (one sorted partition
 * per directory): entity id = the directory's path ({@code /} for the root). It holds no state that must
 * be recovered, so a directory of any size starts at once.
 *
 * <p>Changes are serialized here, so a name is a FILE or a DIR, never both. While one write is in flight,
 * the changes that arrive wait and then go together into the next write (group commit): one read of the
 * names the entity does not know, one single-partition write, however many clients wait. Each name's
 * type is remembered (at most {@link DirectorySettings#cacheNames()}), so the adds of existing ancestor
 * directories that every create sends are answered without the store. Listings read the store directly.
 * Runs on its shard's actor; the store's callbacks come back as messages.
 *
 * <p>An explicit directory (made by mkdir) holds one more name, {@link #KEEP}, in its own partition: it is
 * never listed, but it makes the directory non-empty to the removals that prune emptied directories, so an
 * explicit directory stays when its last entry goes; rmdir removes it. The marker lives with the names it
 * guards, so the two cannot disagree after a crash.
 */
public final class DirectoryEntity extends AbstractBehavior<DirectoryEntity.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Dir");

  /** The name that marks a directory explicit (not a valid path name, so no file or directory has it). */
  public static final String KEEP = ".";

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * Adds a name; idempotent when it is already there with the same type. Replies {@link Added}, or
   * {@link Rejected}: CONFLICT when the name is there with the other type, BAD_PATH for a bad name,
   * UNAVAILABLE when the store failed (the name may or may not have been written).
   */
  public record AddChild(String name, DirEntry.Type type, ActorRef<AddChildReply> replyTo) implements Command {}

  /** Removes a name if it is there with that type: {@link Removed}, or {@link Rejected} UNAVAILABLE. */
  public record RemoveChild(String name, DirEntry.Type type, ActorRef<RemoveChildReply> replyTo) implements Command {}

  /**
   * Up to {@code limit} names after {@code afterName} (null: from the first), sorted: {@link Children}, or
   * {@link Rejected} UNAVAILABLE.
   */
  public record ListChildren(String afterName, int limit, ActorRef<ListReply> replyTo) implements Command {}

  /** The one name {@code name} if present (the {@link #KEEP} marker too): {@link Children}, or {@link Rejected}. */
  public record GetChild(String name, ActorRef<ListReply> replyTo) implements Command {}

  public sealed interface AddChildReply extends CborSerializable permits Added, Rejected {}

  public sealed interface RemoveChildReply extends CborSerializable permits Removed, Rejected {}

  public sealed interface ListReply extends CborSerializable permits Children, Rejected {}

  /** @param created false when the name was already there */
  public record Added(boolean created) implements AddChildReply {}

  /** @param empty the directory has no names left (after this removal and any written with it) */
  public record Removed(boolean existed, boolean empty) implements RemoveChildReply {}

  public record Children(List<Child> children) implements ListReply {
    public Children {
      children = List.copyOf(children);
    }
  }

  public record Child(String name, DirEntry.Type type) implements CborSerializable {}

  /** The store's answer to a batch's read of the names the entity did not know. */
  private record Looked(List<Change> batch, Map<String, DirEntry.Type> found, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  /** The store's answer to a batch's write; {@code empty} only after a removal. */
  private record Written(List<Decided> decided, Map<String, DirEntry.Type> changes, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  private record Emptiness(List<Decided> decided, boolean empty, Throwable failure)
      implements Command, NoSerializationVerificationNeeded {}

  /** An add or a remove waiting for its batch. */
  private record Change(Command command, String name) {}

  /** A change and the answer it gets once its batch is written; {@code removed}: it removed its name. */
  private record Decided(Command command, Object reply, boolean removed) {}

  // ---- behavior

  private final TfsPath dir;
  private final DirectoryStore store;
  private final DirectorySettings settings;
  private final ArrayDeque<Change> waiting = new ArrayDeque<>();
  /** Names known to be in the store with their type, least recently used first. */
  private final LinkedHashMap<String, DirEntry.Type> known;
  private boolean busy;

  private DirectoryEntity(ActorContext<Command> context, TfsPath dir, DirectoryStore store,
      DirectorySettings settings) {
    super(context);
    this.dir = dir;
    this.store = store;
    this.settings = settings;
    int bound = settings.cacheNames();
    this.known = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, DirEntry.Type> eldest) {
        return size() > bound;
      }
    };
  }

  public static Behavior<Command> create(String entityId, DirectoryStore store, DirectorySettings settings) {
    TfsPath dir = TfsPath.parse(entityId);
    return Behaviors.setup(context -> new DirectoryEntity(context, dir, store, settings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(AddChild.class, this::onAdd)
        .onMessage(RemoveChild.class, this::onRemove)
        .onMessage(ListChildren.class, this::onList)
        .onMessage(GetChild.class, this::onGetChild)
        .onMessage(Looked.class, this::onLooked)
        .onMessage(Written.class, this::onWritten)
        .onMessage(Emptiness.class, this::onEmptiness)
        .build();
  }

  private Behavior<Command> onAdd(AddChild cmd) {
    try {
      if (!(KEEP.equals(cmd.name()) && cmd.type() == DirEntry.Type.DIR)) dir.child(cmd.name());
    } catch (TfsException e) {
      cmd.replyTo().tell(new Rejected(e.code(), e.getMessage()));
      return this;
    }
    DirEntry.Type present = busy ? null : known.get(cmd.name());
    if (present != null) {
      cmd.replyTo().tell(addReply(present, cmd.type(), cmd.name()));
      return this;
    }
    return enqueue(new Change(cmd, cmd.name()));
  }

  private Behavior<Command> onRemove(RemoveChild cmd) {
    return enqueue(new Change(cmd, cmd.name()));
  }

  /** One name more is read than asked: the {@link #KEEP} marker, left out, never shortens a page. */
  private Behavior<Command> onList(ListChildren cmd) {
    ActorRef<ListReply> replyTo = cmd.replyTo();
    int limit = cmd.limit();
    store.page(dir, cmd.afterName(), limit + 1).whenComplete((entries, failure) -> {
      if (failure != null) {
        replyTo.tell(unavailable("could not list", failure));
      } else {
        List<Child> named = entries.stream().filter(e -> !KEEP.equals(e.name()))
            .map(e -> new Child(e.name(), e.type())).limit(limit).toList();
        replyTo.tell(new Children(named));
      }
    });
    return this;
  }

  private Behavior<Command> onGetChild(GetChild cmd) {
    ActorRef<ListReply> replyTo = cmd.replyTo();
    store.lookup(dir, Set.of(cmd.name())).whenComplete((found, failure) -> {
      if (failure != null) {
        replyTo.tell(unavailable("could not read", failure));
      } else {
        replyTo.tell(new Children(found.entrySet().stream().map(e -> new Child(e.getKey(), e.getValue())).toList()));
      }
    });
    return this;
  }

  private Behavior<Command> enqueue(Change change) {
    waiting.add(change);
    if (!busy) nextBatch();
    return this;
  }

  /** Reads the names of the next batch that are not known, or decides it at once when all are. */
  private void nextBatch() {
    if (waiting.isEmpty()) return;
    busy = true;
    List<Change> batch = new ArrayList<>();
    Set<String> unknown = new TreeSet<>();
    while (!waiting.isEmpty() && batch.size() < settings.batchMax()) {
      Change change = waiting.poll();
      batch.add(change);
      if (!known.containsKey(change.name())) unknown.add(change.name());
    }
    if (unknown.isEmpty()) {
      getContext().getSelf().tell(new Looked(batch, Map.of(), null));
      return;
    }
    getContext().pipeToSelf(store.lookup(dir, unknown), (found, failure) -> new Looked(batch, found, failure));
  }

  private Behavior<Command> onLooked(Looked looked) {
    if (looked.failure() != null) {
      for (Change change : looked.batch()) reply(change.command(), unavailable("could not read", looked.failure()));
      return idle();
    }
    Map<String, DirEntry.Type> view = new HashMap<>();
    for (Change change : looked.batch()) {
      DirEntry.Type type = looked.found().containsKey(change.name())
          ? looked.found().get(change.name()) : known.get(change.name());
      if (type != null) view.put(change.name(), type);
    }
    looked.found().forEach(known::put);
    List<Decided> decided = new ArrayList<>();
    Map<String, DirEntry.Type> changes = new LinkedHashMap<>();
    for (Change change : looked.batch()) decided.add(decide(change.command(), view, changes));
    if (changes.isEmpty()) {
      for (Decided d : decided) reply(d.command(), d.reply());
      return idle();
    }
    List<DirectoryStore.Change> writes = new ArrayList<>();
    changes.forEach((name, type) -> writes.add(new DirectoryStore.Change(name, type)));
    getContext().pipeToSelf(store.apply(dir, writes), (v, failure) -> new Written(decided, changes, failure));
    return this;
  }

  /** The answer to one change against {@code view} (the names as the batch leaves them), which it updates. */
  private Decided decide(Command command, Map<String, DirEntry.Type> view, Map<String, DirEntry.Type> changes) {
    if (command instanceof AddChild add) {
      DirEntry.Type present = view.get(add.name());
      if (present != null) return new Decided(add, addReply(present, add.type(), add.name()), false);
      view.put(add.name(), add.type());
      changes.put(add.name(), add.type());
      return new Decided(add, new Added(true), false);
    }
    RemoveChild remove = (RemoveChild) command;
    if (view.get(remove.name()) != remove.type()) return new Decided(remove, new Removed(false, false), false);
    view.remove(remove.name());
    changes.put(remove.name(), null);
    return new Decided(remove, null, true);
  }

  private Behavior<Command> onWritten(Written written) {
    if (written.failure() != null) {
      // The write may or may not have landed: forget what the entity believed of those names.
      written.changes().keySet().forEach(known::remove);
      for (Decided d : written.decided()) reply(d.command(), unavailable("could not write", written.failure()));
      return idle();
    }
    written.changes().forEach((name, type) -> {
      if (type == null) known.remove(name);
      else known.put(name, type);
    });
    if (written.decided().stream().noneMatch(Decided::removed)) {
      for (Decided d : written.decided()) reply(d.command(), d.reply());
      return idle();
    }
    // Nothing else writes this directory until the batch is answered, so this is exact.
    getContext().pipeToSelf(store.page(dir, null, 1),
        (first, failure) -> new Emptiness(written.decided(), failure == null && first.isEmpty(), failure));
    return this;
  }

  private Behavior<Command> onEmptiness(Emptiness emptiness) {
    for (Decided d : emptiness.decided()) {
      Object reply = d.reply();
      // A failed check says "not empty": the directory is then kept, which is harmless.
      if (d.removed()) reply = new Removed(true, emptiness.failure() == null && emptiness.empty());
      reply(d.command(), reply);
    }
    return idle();
  }

  private Behavior<Command> idle() {
    busy = false;
    nextBatch();
    return this;
  }

  private AddChildReply addReply(DirEntry.Type present, DirEntry.Type wanted, String name) {
    if (present == wanted) return new Added(false);
    String what = present == DirEntry.Type.FILE ? "a file" : "a directory";
    return new Rejected(ErrorCode.CONFLICT, dir.child(name) + " is " + what);
  }

  private Rejected unavailable(String what, Throwable failure) {
    return new Rejected(ErrorCode.UNAVAILABLE,
        "directory " + dir + ": " + what + " its names: " + Failures.unwrap(failure).getMessage());
  }

  @SuppressWarnings("unchecked")
  private static void reply(Command command, Object reply) {
    if (command instanceof AddChild add) add.replyTo().tell((AddChildReply) reply);
    else if (command instanceof RemoveChild remove) remove.replyTo().tell((RemoveChildReply) reply);
  }
}
