package io.tensorfs.sharding.checkpoint;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
 * The checkpoints of one job: those open (ranks saving) and those committed, each with its items and
 * their sealed parts. Entity id = the job's path ({@code /tenant/job}); commands name a checkpoint by
 * its step (the last segment of {@code /tenant/job/step}).
 *
 * <p>Commit is one persisted event, which also retires what the job's keep-last retention drops, so a
 * reader sees the previous set of checkpoints or the complete new one. A part is acknowledged when its
 * {@link PartStored} event is persisted: that is what a cut-off save resumes from. Checkpoints that were
 * aborted, deleted or retired leave the job at once and wait in {@link State#removing()} until the
 * operator has deleted their part files and says {@link Forget}.
 *
 * <p>Runs on its shard's actor; the state is immutable.
 */
public final class CheckpointJobEntity extends EventSourcedBehaviorWithEnforcedReplies<
    CheckpointJobEntity.Command, CheckpointJobEntity.Event, CheckpointJobEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "CheckpointJob");

  private final TfsPath job;

  private CheckpointJobEntity(TfsPath job, PersistenceId persistenceId) {
    super(persistenceId);
    this.job = job;
  }

  public static Behavior<Command> create(String entityId) {
    TfsPath job = TfsPath.parse(entityId);
    return new CheckpointJobEntity(job, PersistenceId.of(ENTITY_TYPE_KEY.name(), job.toString()));
  }

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /** Opens a checkpoint; replies {@link Done}, or {@link Refused} CONFLICT when the step exists. */
  public record Begin(String step, int ranks, Policy policy, int keepLast, int partSizeBytes,
      ActorRef<Reply> replyTo) implements Command {}

  /**
   * Declares an item of an open checkpoint, or finds it: replies {@link ItemNow}. {@code sizeBytes} is
   * the item's size, or -1 for "as declared" (a new item is then declared empty, as the wire's size 0
   * says); a size other than the declared one is BAD_REQUEST.
   */
  public record Declare(String step, int rank, String key, long sizeBytes, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Records a sealed part at {@code offset} of an item: replies {@link ItemNow}; PRECONDITION_FAILED
   * when the offset is not the item's acknowledged offset, BAD_REQUEST past the declared size.
   */
  public record StorePart(String step, String id, int rank, String key, long offset, Part part,
      ActorRef<Reply> replyTo) implements Command {}

  /** A rank has sent all its items: replies {@link Done}. */
  public record RankDone(String step, int rank, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Makes an open checkpoint visible: every rank done and every item complete, else CONFLICT naming
   * what is missing. Replies {@link Done} with the checkpoints now awaiting removal (retention's among
   * them). Committing a committed checkpoint again replies it.
   */
  public record Commit(String step, ActorRef<Reply> replyTo) implements Command {}

  /** Drops an open checkpoint (CONFLICT for a committed one, NOT_FOUND for none): replies {@link Done}. */
  public record Abort(String step, ActorRef<Reply> replyTo) implements Command {}

  /** Drops a checkpoint, open or committed (NOT_FOUND for none): replies {@link Done}. */
  public record Delete(String step, ActorRef<Reply> replyTo) implements Command {}

  /** Keeps the newest {@code keepLast} committed checkpoints: replies {@link Job}. */
  public record Retain(int keepLast, ActorRef<Reply> replyTo) implements Command {}

  /** One checkpoint, open or committed: replies {@link Done}, or NOT_FOUND. */
  public record Get(String step, ActorRef<Reply> replyTo) implements Command {}

  /** Every checkpoint and every removal pending: replies {@link Job}. */
  public record GetAll(ActorRef<Reply> replyTo) implements Command {}

  /** The part files of a removed checkpoint are gone: it leaves the entity. Replies {@link Job}. */
  public record Forget(String id, ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Refused, Done, ItemNow, Job {}

  /** An expected refusal with its error code. */
  public record Refused(ErrorCode code, String message) implements Reply {}

  /** @param removing the checkpoints whose part files are to be deleted (all of the job's, not only this call's) */
  public record Done(Checkpoint checkpoint, List<Checkpoint> removing) implements Reply {
    public Done {
      removing = List.copyOf(removing);
    }
  }

  public record ItemNow(String checkpointId, Item item) implements Reply {}

  /** @param checkpoints open and committed, in the order they began */
  public record Job(List<Checkpoint> checkpoints, List<Checkpoint> removing) implements Reply {
    public Job {
      checkpoints = List.copyOf(checkpoints);
      removing = List.copyOf(removing);
    }
  }

  // ---- events

  public sealed interface Event extends CborSerializable {}

  public record Begun(Checkpoint checkpoint) implements Event {}

  public record ItemDeclared(String step, Item item) implements Event {}

  public record PartStored(String step, int rank, String key, Part part) implements Event {}

  public record RankFinished(String step, int rank) implements Event {}

  /** @param retired the steps retention removes in the same event */
  public record Committed(String step, long atMillis, List<String> retired) implements Event {
    public Committed {
      retired = List.copyOf(retired);
    }
  }

  /** Checkpoints leaving the job (abort, delete, retention); their parts await deletion. */
  public record Removed(List<String> steps) implements Event {
    public Removed {
      steps = List.copyOf(steps);
    }
  }

  public record Forgotten(String id) implements Event {}

  // ---- state

  /**
   * @param checkpoints open and committed, in the order they began
   * @param removing    left the job; their part files are being deleted
   */
  public record State(List<Checkpoint> checkpoints, List<Checkpoint> removing) implements CborSerializable {
    public State {
      checkpoints = List.copyOf(checkpoints);
      removing = List.copyOf(removing);
    }

    Optional<Checkpoint> find(String step) {
      return checkpoints.stream().filter(c -> c.step().equals(step)).findFirst();
    }

    List<Checkpoint> committed() {
      return checkpoints.stream().filter(Checkpoint::committed).toList();
    }

    State with(Checkpoint changed) {
      List<Checkpoint> out = new ArrayList<>(checkpoints.size() + 1);
      boolean replaced = false;
      for (Checkpoint c : checkpoints) {
        if (c.step().equals(changed.step())) {
          out.add(changed);
          replaced = true;
        } else {
          out.add(c);
        }
      }
      if (!replaced) out.add(changed);
      return new State(out, removing);
    }

    State without(List<String> steps) {
      List<Checkpoint> kept = new ArrayList<>();
      List<Checkpoint> gone = new ArrayList<>(removing);
      for (Checkpoint c : checkpoints) {
        if (steps.contains(c.step())) gone.add(c);
        else kept.add(c);
      }
      return new State(kept, gone);
    }

    State forgotten(String id) {
      return new State(checkpoints, removing.stream().filter(c -> !c.id().equals(id)).toList());
    }

    /** The committed steps to retire so that the newest {@code keepLast} stay (none when keepLast is 0). */
    List<String> beyond(int keepLast, List<Checkpoint> committed) {
      if (keepLast <= 0 || committed.size() <= keepLast) return List.of();
      List<Checkpoint> newestLast = new ArrayList<>(committed);
      newestLast.sort(java.util.Comparator.comparingLong(Checkpoint::committedAtMillis));
      return newestLast.subList(0, committed.size() - keepLast).stream().map(Checkpoint::step).toList();
    }
  }

  @Override
  public State emptyState() {
    return new State(List.of(), List.of());
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
        .onCommand(Begin.class, this::onBegin)
        .onCommand(Declare.class, this::onDeclare)
        .onCommand(StorePart.class, this::onStorePart)
        .onCommand(RankDone.class, this::onRankDone)
        .onCommand(Commit.class, this::onCommit)
        .onCommand(Abort.class, this::onAbort)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Retain.class, this::onRetain)
        .onCommand(Get.class, (state, cmd) -> state.find(cmd.step())
            .map(c -> Effect().reply(cmd.replyTo(), (Reply) new Done(c, state.removing())))
            .orElseGet(() -> Effect().reply(cmd.replyTo(), notFound(cmd.step()))))
        .onCommand(GetAll.class, (state, cmd) -> Effect().reply(cmd.replyTo(), job(state)))
        .onCommand(Forget.class, this::onForget)
        .build();
  }

  private ReplyEffect<Event, State> onBegin(State state, Begin cmd) {
    TfsPath name;
    try {
      name = job.child(cmd.step());
    } catch (RuntimeException e) {
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.BAD_PATH, e.getMessage()));
    }
    if (state.find(cmd.step()).isPresent()) {
      Checkpoint c = state.find(cmd.step()).get();
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT,
          name + " is " + (c.committed() ? "committed" : "open") + " already"));
    }
    if (cmd.ranks() < 1) return bad(cmd.replyTo(), "a checkpoint needs at least 1 rank, not " + cmd.ranks());
    if (cmd.keepLast() < 0) return bad(cmd.replyTo(), "keep_last " + cmd.keepLast() + " is negative");
    if (cmd.partSizeBytes() <= 0) return bad(cmd.replyTo(), "the part size must be positive");
    Checkpoint c = new Checkpoint(name, UUID.randomUUID().toString().replace("-", "").substring(0, 16), cmd.ranks(),
        cmd.policy(), cmd.keepLast(), cmd.partSizeBytes(), System.currentTimeMillis(), 0, List.of(), List.of());
    return Effect().persist(new Begun(c)).thenReply(cmd.replyTo(), s -> new Done(c, s.removing()));
  }

  private ReplyEffect<Event, State> onDeclare(State state, Declare cmd) {
    Optional<Checkpoint> found = state.find(cmd.step());
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    Checkpoint c = found.get();
    String refusal = refusesSaving(c, cmd.rank());
    if (refusal != null) return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, refusal));
    if (cmd.key() == null || cmd.key().isEmpty()) return bad(cmd.replyTo(), "an item needs a key");
    Optional<Item> item = c.item(cmd.rank(), cmd.key());
    if (item.isPresent()) {
      if (cmd.sizeBytes() >= 0 && cmd.sizeBytes() != item.get().sizeBytes()) {
        return bad(cmd.replyTo(), "item " + item.get().describe() + " of " + c.name() + " was declared with "
            + item.get().sizeBytes() + " bytes; its size cannot change to " + cmd.sizeBytes());
      }
      return Effect().reply(cmd.replyTo(), new ItemNow(c.id(), item.get()));
    }
    Item fresh = new Item(cmd.rank(), cmd.key(), c.items().size(), Math.max(0, cmd.sizeBytes()), List.of());
    return Effect().persist(new ItemDeclared(cmd.step(), fresh))
        .thenReply(cmd.replyTo(), s -> new ItemNow(c.id(), fresh));
  }

  private ReplyEffect<Event, State> onStorePart(State state, StorePart cmd) {
    Optional<Checkpoint> found = state.find(cmd.step()).filter(c -> c.id().equals(cmd.id()));
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    Checkpoint c = found.get();
    String refusal = refusesSaving(c, cmd.rank());
    if (refusal != null) return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, refusal));
    Optional<Item> item = c.item(cmd.rank(), cmd.key());
    if (item.isEmpty()) return bad(cmd.replyTo(), "no item rank " + cmd.rank() + " '" + cmd.key() + "' declared");
    Item it = item.get();
    if (it.parts().stream().anyMatch(p -> p.fileId().equals(cmd.part().fileId()))) {
      return Effect().reply(cmd.replyTo(), new ItemNow(c.id(), it));
    }
    if (cmd.offset() != it.acknowledged()) {
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.PRECONDITION_FAILED, "item " + it.describe()
          + " of " + c.name() + " is acknowledged up to offset " + it.acknowledged() + ", not " + cmd.offset()));
    }
    if (cmd.offset() + cmd.part().lengthBytes() > it.sizeBytes()) {
      return bad(cmd.replyTo(), "item " + it.describe() + " of " + c.name() + " was declared with " + it.sizeBytes()
          + " bytes; a part up to " + (cmd.offset() + cmd.part().lengthBytes()) + " is past its end");
    }
    return Effect().persist(new PartStored(cmd.step(), cmd.rank(), cmd.key(), cmd.part()))
        .thenReply(cmd.replyTo(), s -> new ItemNow(c.id(), s.find(cmd.step()).orElseThrow()
            .item(cmd.rank(), cmd.key()).orElseThrow()));
  }

  /** Why rank {@code rank} may not save into {@code c} now, or null. */
  private static String refusesSaving(Checkpoint c, int rank) {
    if (c.committed()) return c.name() + " is committed: it cannot change";
    if (rank < 0 || rank >= c.ranks()) {
      return "rank " + rank + " is not one of the " + c.ranks() + " ranks of " + c.name() + " (0.." + (c.ranks() - 1) + ")";
    }
    if (c.ranksDone().contains(rank)) return "rank " + rank + " of " + c.name() + " said it was done";
    return null;
  }

  private ReplyEffect<Event, State> onRankDone(State state, RankDone cmd) {
    Optional<Checkpoint> found = state.find(cmd.step());
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    Checkpoint c = found.get();
    if (c.ranksDone().contains(cmd.rank())) return Effect().reply(cmd.replyTo(), new Done(c, state.removing()));
    String refusal = refusesSaving(c, cmd.rank());
    if (refusal != null) return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, refusal));
    return Effect().persist(new RankFinished(cmd.step(), cmd.rank()))
        .thenReply(cmd.replyTo(), s -> new Done(s.find(cmd.step()).orElseThrow(), s.removing()));
  }

  private ReplyEffect<Event, State> onCommit(State state, Commit cmd) {
    Optional<Checkpoint> found = state.find(cmd.step());
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    Checkpoint c = found.get();
    if (c.committed()) return Effect().reply(cmd.replyTo(), new Done(c, state.removing()));
    List<Integer> missing = c.missingRanks();
    if (!missing.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, "cannot commit " + c.name()
          + ": missing ranks " + missing + " (of " + c.ranks() + ") have not said they are done"));
    }
    List<String> incomplete = c.items().stream().filter(i -> !i.complete())
        .map(i -> i.describe() + " (" + i.acknowledged() + " of " + i.sizeBytes() + " bytes)").toList();
    if (!incomplete.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT, "cannot commit " + c.name()
          + ": incomplete items " + incomplete.subList(0, Math.min(10, incomplete.size()))
          + (incomplete.size() > 10 ? " and " + (incomplete.size() - 10) + " more" : "")));
    }
    long at = Math.max(System.currentTimeMillis(), newestCommit(state) + 1);
    List<Checkpoint> committed = new ArrayList<>(state.committed());
    committed.add(c.committedAt(at));
    List<String> retired = state.beyond(c.keepLast(), committed);
    return Effect().persist(new Committed(cmd.step(), at, retired))
        .thenReply(cmd.replyTo(), s -> new Done(s.find(cmd.step()).orElseThrow(), s.removing()));
  }

  /** Commit times are kept strictly increasing, so "newest" is the order of commits. */
  private static long newestCommit(State state) {
    return state.committed().stream().mapToLong(Checkpoint::committedAtMillis).max().orElse(0);
  }

  private ReplyEffect<Event, State> onAbort(State state, Abort cmd) {
    Optional<Checkpoint> found = state.find(cmd.step());
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    if (found.get().committed()) {
      return Effect().reply(cmd.replyTo(), new Refused(ErrorCode.CONFLICT,
          found.get().name() + " is committed: delete it instead of aborting"));
    }
    return remove(found.get(), cmd.replyTo());
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete cmd) {
    Optional<Checkpoint> found = state.find(cmd.step());
    if (found.isEmpty()) return Effect().reply(cmd.replyTo(), notFound(cmd.step()));
    return remove(found.get(), cmd.replyTo());
  }

  private ReplyEffect<Event, State> remove(Checkpoint c, ActorRef<Reply> replyTo) {
    return Effect().persist(new Removed(List.of(c.step()))).thenReply(replyTo, s -> new Done(c, s.removing()));
  }

  private ReplyEffect<Event, State> onRetain(State state, Retain cmd) {
    if (cmd.keepLast() < 1) return bad(cmd.replyTo(), "keep_last must be at least 1, not " + cmd.keepLast());
    List<String> retired = state.beyond(cmd.keepLast(), state.committed());
    if (retired.isEmpty()) return Effect().reply(cmd.replyTo(), job(state));
    return Effect().persist(new Removed(retired)).thenReply(cmd.replyTo(), CheckpointJobEntity::job);
  }

  private ReplyEffect<Event, State> onForget(State state, Forget cmd) {
    if (state.removing().stream().noneMatch(c -> c.id().equals(cmd.id()))) {
      return Effect().reply(cmd.replyTo(), job(state));
    }
    return Effect().persist(new Forgotten(cmd.id())).thenReply(cmd.replyTo(), CheckpointJobEntity::job);
  }

  private static Job job(State state) {
    return new Job(state.checkpoints(), state.removing());
  }

  private Refused notFound(String step) {
    return new Refused(ErrorCode.NOT_FOUND, "no checkpoint " + job + "/" + step);
  }

  private ReplyEffect<Event, State> bad(ActorRef<Reply> replyTo, String message) {
    return Effect().reply(replyTo, new Refused(ErrorCode.BAD_REQUEST, message));
  }

  // ---- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Begun.class, (state, e) -> state.with(e.checkpoint()))
        .onEvent(ItemDeclared.class, (state, e) -> state.with(state.find(e.step()).orElseThrow().withItem(e.item())))
        .onEvent(PartStored.class, (state, e) -> {
          Checkpoint c = state.find(e.step()).orElseThrow();
          return state.with(c.withItem(c.item(e.rank(), e.key()).orElseThrow().withPart(e.part())));
        })
        .onEvent(RankFinished.class, (state, e) -> state.with(state.find(e.step()).orElseThrow().withRankDone(e.rank())))
        .onEvent(Committed.class, (state, e) ->
            state.with(state.find(e.step()).orElseThrow().committedAt(e.atMillis())).without(e.retired()))
        .onEvent(Removed.class, (state, e) -> state.without(e.steps()))
        .onEvent(Forgotten.class, (state, e) -> state.forgotten(e.id()))
        .build();
  }
}
